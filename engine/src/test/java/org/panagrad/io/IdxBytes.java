package org.panagrad.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files for tests, byte by byte as the format describes them. */
final class IdxBytes {
    private IdxBytes() {}

    /** An image file whose pixel i (counting over all images) has the value {@code (i * 37) % 256}. */
    static byte[] images(int count, int rows, int cols) {
        ByteBuffer buffer = ByteBuffer.allocate(16 + count * rows * cols); // big-endian by default, like IDX
        buffer.putInt(IdxReader.IMAGES_MAGIC).putInt(count).putInt(rows).putInt(cols);
        for (int i = 0; i < count * rows * cols; i++) {
            buffer.put((byte) pixel(i));
        }
        return buffer.array();
    }

    static int pixel(int index) {
        return (index * 37) % 256;
    }

    static byte[] labels(int... labels) {
        ByteBuffer buffer = ByteBuffer.allocate(8 + labels.length);
        buffer.putInt(IdxReader.LABELS_MAGIC).putInt(labels.length);
        for (int label : labels) {
            buffer.put((byte) label);
        }
        return buffer.array();
    }

    static byte[] gzip(byte[] plain) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(plain);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Path write(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, content);
    }

    /** A complete MNIST-like directory: 3 training and 2 test images of 2x3 pixels, optionally gzipped. */
    static Path writeSet(Path directory, boolean gzip) throws IOException {
        String suffix = gzip ? ".gz" : "";
        byte[][] contents = {images(3, 2, 3), labels(5, 0, 9), images(2, 2, 3), labels(7, 2)};
        for (int i = 0; i < 4; i++) {
            byte[] content = gzip ? gzip(contents[i]) : contents[i];
            write(directory.resolve(MnistFiles.NAMES.get(i) + suffix), content);
        }
        return directory;
    }
}
