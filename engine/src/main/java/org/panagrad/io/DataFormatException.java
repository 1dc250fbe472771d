package org.panagrad.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file exists and can be read, but its bytes are not what the format promises. The message names the
 * file, the byte offset where the problem was found and what was expected there, so that a bad download or
 * a wrong file can be identified without a hex editor.
 */
public final class DataFormatException extends IOException {
    private final transient Path path;
    private final long offset;
    private final String detail;

    public DataFormatException(Path path, long offset, String detail) {
        this(path, offset, detail, null);
    }

    public DataFormatException(Path path, long offset, String detail, Throwable cause) {
        super(path + ": at byte offset " + offset + ": " + detail, cause);
        this.path = path;
        this.offset = offset;
        this.detail = detail;
    }

    /** The file whose content is wrong. */
    public Path path() {
        return path;
    }

    /** Where in the file (for compressed files: in the decompressed bytes) the problem was found. */
    public long offset() {
        return offset;
    }

    /** The message without the path and offset prefix. */
    public String detail() {
        return detail;
    }
}
