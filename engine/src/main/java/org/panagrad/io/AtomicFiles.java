package org.panagrad.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a file so that readers see either the previous content or the complete new content, never a
 * prefix: the bytes go to a temporary file in the same directory (so the rename stays on one file system),
 * are forced to disk, and the temporary file is then renamed over the target. If anything fails, the
 * temporary file is deleted and the target is left as it was.
 */
public final class AtomicFiles {
    private static final int BUFFER_BYTES = 1 << 16;
    /** ".model.safetensors.1f2e3d4c5b6a7988.tmp": the target's name between a dot and a random hex suffix. */
    private static final Pattern TEMPORARY = Pattern.compile("\\.(.+)\\.[0-9a-f]{1,16}\\.tmp");

    private AtomicFiles() {}

    /**
     * Replaces {@code target} with whatever {@code body} writes. The stream handed to {@code body} is
     * buffered; closing it is allowed and has no effect (the bytes are only committed after {@code body}
     * returns normally).
     */
    public static void write(Path target, IOConsumer<OutputStream> body) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path directory = absolute.getParent();
        if (!Files.isDirectory(directory)) {
            throw new NoSuchFileException(directory.toString(), null, "cannot write " + absolute.getFileName()
                    + ": the directory does not exist");
        }
        Path temporary = createTemporarySibling(absolute);
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES);
                body.accept(new UncloseableOutputStream(out));
                out.flush();
                // Without this, a crash after the rename can leave the new name pointing at empty blocks.
                channel.force(true);
            }
            moveOver(temporary, absolute);
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanupFailure) {
                failure.addSuppressed(cleanupFailure);
            }
            throw failure;
        }
        forceDirectory(directory);
    }

    /**
     * The name of the file that a temporary file of ours named {@code fileName} was going to replace, or null
     * when {@code fileName} is not one of ours. A process killed while writing leaves its temporary file
     * behind; the next run over the same outputs finds and deletes them with this.
     */
    public static String temporaryTarget(String fileName) {
        Matcher m = TEMPORARY.matcher(fileName);
        return m.matches() ? m.group(1) : null;
    }

    /** Deletes the temporary files a killed writer of {@code target} left beside it; returns how many. */
    public static int deleteStaleTemporaries(Path target) throws IOException {
        Path directory = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(directory)) return 0;
        String name = target.getFileName().toString();
        int deleted = 0;
        try (var entries = Files.list(directory)) {
            for (Path p : entries.toList()) {
                if (name.equals(temporaryTarget(p.getFileName().toString())) && Files.deleteIfExists(p)) deleted++;
            }
        }
        return deleted;
    }

    /**
     * A fresh file next to the target, created with the default permissions (unlike
     * {@link Files#createTempFile}, which makes it readable by the owner only). The leading dot hides it
     * from directory listings while it exists.
     */
    private static Path createTemporarySibling(Path target) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong());
            Path candidate = target.resolveSibling("." + target.getFileName() + "." + suffix + ".tmp");
            try {
                Files.newByteChannel(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return candidate;
            } catch (FileAlreadyExistsException collision) {
                if (attempt == 10) {
                    throw collision;
                }
            }
        }
    }

    private static void moveOver(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException notSupported) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes the rename itself durable. Not every platform can open a directory (Windows cannot): best effort. */
    private static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException unsupported) {
            // The file content is already on disk; only the durability of the rename is at stake.
        }
    }

    /** Lets the body close "its" stream without closing the channel we still need to force. */
    private static final class UncloseableOutputStream extends FilterOutputStream {
        UncloseableOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length); // FilterOutputStream would write byte by byte
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
