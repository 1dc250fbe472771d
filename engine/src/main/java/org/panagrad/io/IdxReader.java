package org.panagrad.io;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files of unsigned bytes, the format of MNIST and Fashion-MNIST: a big-endian magic number
 * {@code 0x0000 08 nd} (08 = unsigned byte, nd = number of dimensions), nd big-endian int32 sizes, then the
 * data. Files may be gzip-compressed; this is detected from the content, not the name, because browsers
 * often decompress a downloaded {@code .gz} without renaming it. Offsets in error messages count bytes of the
 * (decompressed) IDX data.
 *
 * <p>Bytes after the last item are an error: the header fixes the length exactly, so extra bytes mean the
 * count in the header is wrong or two files were concatenated.
 */
final class IdxReader {
    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private static final int IMAGES_HEADER_BYTES = 16;
    private static final int LABELS_HEADER_BYTES = 8;
    private static final int BUFFER_BYTES = 1 << 16;
    // Some JVMs reserve a few header words in arrays; staying below this limit avoids OutOfMemoryError surprises.
    private static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;
    private static final float[] BYTE_TO_UNIT = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            BYTE_TO_UNIT[i] = i / 255f;
        }
    }

    /** The content of an image file: pixels scaled to [0, 1], row-major, image after image. */
    record Images(float[] pixels, int count, int rows, int cols) {}

    private IdxReader() {}

    static Images readImages(Path path) throws IOException {
        try (Source in = Source.open(path)) {
            in.expectMagic(IMAGES_MAGIC, "an IDX image file (unsigned bytes, 3 dimensions)");
            int count = in.readSize("image count");
            int rows = in.readPositiveSize("row count");
            int cols = in.readPositiveSize("column count");
            long perImage = (long) rows * cols; // at most 2^62: fits, while a third factor could overflow a long
            if (count > 0 && perImage > MAX_ARRAY_LENGTH / count) {
                throw in.fail(4, count + " images of " + rows + "x" + cols + " pixels do not fit in one Java array"
                        + " (at most " + MAX_ARRAY_LENGTH + " pixels)");
            }
            long total = perImage * count;
            String what = total + " bytes of pixel data (" + count + " x " + rows + " x " + cols + ")";
            in.checkClaim(total, what, 5);
            byte[] bytes = in.readExactly((int) total, what);
            float[] pixels = new float[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                pixels[i] = BYTE_TO_UNIT[bytes[i] & 0xFF];
            }
            in.expectEnd(count + " images");
            return new Images(pixels, count, rows, cols);
        }
    }

    /** Reads a label file, checking that every label is a class index in {@code [0, classes)}. */
    static int[] readLabels(Path path, int classes) throws IOException {
        try (Source in = Source.open(path)) {
            in.expectMagic(LABELS_MAGIC, "an IDX label file (unsigned bytes, 1 dimension)");
            int count = in.readSize("label count");
            in.checkClaim(count, count + " bytes of labels", 5);
            byte[] bytes = in.readExactly(count, count + " bytes of labels");
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                int label = bytes[i] & 0xFF;
                if (label >= classes) {
                    throw in.fail(LABELS_HEADER_BYTES + i, "label of item " + i + " is " + label
                            + ", expected a class index in 0-" + (classes - 1));
                }
                labels[i] = label;
            }
            in.expectEnd(count + " labels");
            return labels;
        }
    }

    /** A byte stream that knows its file, its position and whether it is compressed, to report errors well. */
    private static final class Source implements AutoCloseable {
        private final Path path;
        private final InputStream in;
        private final boolean compressed;
        /** The file's size in bytes: for an uncompressed file, the IDX data's length. */
        private final long fileSize;
        private long offset;

        private Source(Path path, InputStream in, boolean compressed) throws IOException {
            this.path = path;
            this.in = in;
            this.compressed = compressed;
            this.fileSize = Files.size(path);
        }

        /**
         * Refuses a header whose sizes claim more than the file can hold, before anything is allocated for the
         * data: an uncompressed file must hold the claimed bytes after the header (a compressed one is read in
         * growing chunks, so a false claim runs out of data first), and the decoded data ({@code heapPerByte}
         * bytes of heap for each byte read) must fit in the heap.
         */
        void checkClaim(long claimedBytes, String what, int heapPerByte) throws DataFormatException {
            if (!compressed && offset + claimedBytes > fileSize) {
                throw fail(fileSize, "expected " + what + " starting at offset " + offset + ", but the file ended at"
                        + " offset " + fileSize);
            }
            long heap = Runtime.getRuntime().maxMemory();
            if (heap != Long.MAX_VALUE && claimedBytes * heapPerByte > heap) {
                throw fail(offset, "expected " + what + " starting here, which would take "
                        + claimedBytes * heapPerByte / (1 << 20) + " MiB of memory to read, more than the JVM's heap of "
                        + heap / (1 << 20) + " MiB (raise it with -Xmx if the file is right)");
            }
        }

        static Source open(Path path) throws IOException {
            InputStream raw = new BufferedInputStream(Files.newInputStream(path), BUFFER_BYTES);
            try {
                raw.mark(2);
                boolean gzip = raw.read() == 0x1F && raw.read() == 0x8B;
                raw.reset();
                if (!gzip) {
                    return new Source(path, raw, false);
                }
                try {
                    return new Source(path, new GZIPInputStream(raw, BUFFER_BYTES), true);
                } catch (ZipException | EOFException badHeader) {
                    throw new DataFormatException(path, 0, "starts like gzip data but has no valid gzip header: "
                            + badHeader.getMessage(), badHeader);
                }
            } catch (IOException | RuntimeException failure) {
                raw.close();
                throw failure;
            }
        }

        DataFormatException fail(long at, String detail) {
            String where = compressed ? " (offsets count decompressed bytes of this gzip file)" : "";
            return new DataFormatException(path, at, detail + where);
        }

        /** Reads exactly {@code length} bytes of {@code what}, starting at the current offset. */
        byte[] readExactly(int length, String what) throws IOException {
            long start = offset;
            byte[] bytes = read(length, what);
            if (bytes.length < length) {
                throw fail(offset, "expected " + what + " starting at offset " + start + ", but the file ended at offset "
                        + offset);
            }
            return bytes;
        }

        /**
         * Reads {@code length} bytes of {@code what}, or fewer at the end of the data. The buffer grows as data
         * arrives, so a header that claims far more data than the file holds fails as truncated instead of
         * exhausting the heap up front.
         */
        private byte[] read(int length, String what) throws IOException {
            long start = offset;
            byte[] bytes = new byte[Math.min(length, BUFFER_BYTES)];
            int total = 0;
            while (total < length) {
                if (total == bytes.length) {
                    bytes = Arrays.copyOf(bytes, (int) Math.min(length, 2L * bytes.length));
                }
                int n;
                try {
                    n = in.read(bytes, total, bytes.length - total);
                } catch (ZipException | EOFException corrupt) {
                    // This is how the inflater reports a damaged or cut-off gzip stream.
                    throw fail(start + total, "the gzip data is damaged or cut off here (" + corrupt.getMessage()
                            + "), within " + what + " starting at offset " + start);
                }
                if (n < 0) {
                    break;
                }
                total += n;
            }
            offset += total;
            return total == bytes.length ? bytes : Arrays.copyOf(bytes, total);
        }

        private int readInt(String what) throws IOException {
            return ByteBuffer.wrap(readExactly(4, "the " + what + " (4-byte big-endian integer)")).getInt();
        }

        void expectMagic(int expected, String kind) throws IOException {
            int found = readInt("magic number");
            if (found != expected) {
                String hint = found == IMAGES_MAGIC ? " (that is an IDX image file)"
                        : found == LABELS_MAGIC ? " (that is an IDX label file)" : "";
                throw fail(0, "expected magic number " + expected + " (" + hex(expected) + ", " + kind + "), found "
                        + found + " (" + hex(found) + ")" + hint);
            }
        }

        /** A dimension size: an unsigned count that must fit a Java int (IDX stores it as a signed int32). */
        int readSize(String what) throws IOException {
            long at = offset;
            int size = readInt(what);
            if (size < 0) {
                throw fail(at, "expected a non-negative " + what + ", found " + size + " (" + hex(size) + ")");
            }
            return size;
        }

        int readPositiveSize(String what) throws IOException {
            long at = offset;
            int size = readSize(what);
            if (size == 0) {
                throw fail(at, "expected a positive " + what + ", found 0");
            }
            return size;
        }

        void expectEnd(String content) throws IOException {
            long end = offset;
            if (read(1, "the gzip trailer or bytes after the data").length > 0) {
                throw fail(end, "expected the end of the file after " + content + ", but there are more bytes"
                        + " (is the count in the header wrong?)");
            }
        }

        private static String hex(int value) {
            return String.format("0x%08X", value);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
