package org.panagrad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MnistTest {
    @TempDir
    Path temp;

    @ParameterizedTest(name = "gzip={0}")
    @ValueSource(booleans = {false, true})
    void loadsPixelsScaledToUnitIntervalAndLabels(boolean gzip) throws IOException {
        Mnist mnist = Mnist.load(IdxBytes.writeSet(temp, gzip));

        Dataset train = mnist.train();
        assertEquals(3, train.count());
        assertEquals(2, train.rows());
        assertEquals(3, train.cols());
        assertArrayEquals(new int[] {5, 0, 9}, train.labels());
        for (int i = 0; i < train.images().length; i++) {
            assertEquals(IdxBytes.pixel(i) / 255f, train.images()[i], "pixel " + i);
        }
        assertArrayEquals(new int[] {7, 2}, mnist.test().labels());
        assertEquals(2 * 2 * 3, mnist.test().images().length);
    }

    @Test
    void extremePixelValuesMapExactlyToZeroAndOne() throws IOException {
        byte[] image = IdxBytes.images(1, 1, 2);
        image[16] = 0;
        image[17] = (byte) 255;
        Path images = IdxBytes.write(temp.resolve("images"), image);
        Path labels = IdxBytes.write(temp.resolve("labels"), IdxBytes.labels(3));

        assertArrayEquals(new float[] {0f, 1f}, Mnist.loadSet(images, labels).images());
    }

    @Test
    void detectsGzipByContentNotByName() throws IOException {
        // Browsers often decompress a .gz download but keep the name, or the reverse.
        Path images = IdxBytes.write(temp.resolve("images.idx"), IdxBytes.gzip(IdxBytes.images(3, 2, 3)));
        Path labels = IdxBytes.write(temp.resolve("labels.gz"), IdxBytes.labels(1, 2, 3));

        Dataset set = Mnist.loadSet(images, labels);

        assertEquals(3, set.count());
        assertArrayEquals(new int[] {1, 2, 3}, set.labels());
    }

    @Test
    void wrongMagicNamesExpectedAndFoundNumbers() throws IOException {
        Path labels = IdxBytes.write(temp.resolve("labels"), IdxBytes.labels(1, 2, 3));

        DataFormatException e = assertThrows(DataFormatException.class, () -> Mnist.loadSet(labels, labels));

        assertEquals(labels, e.path());
        assertEquals(0, e.offset());
        assertTrue(e.getMessage().startsWith(labels + ": at byte offset 0: expected magic number 2051"), e.getMessage());
        assertTrue(e.getMessage().contains("found 2049 (0x00000801) (that is an IDX label file)"), e.getMessage());
    }

    @Test
    void truncatedPixelDataReportsExpectedLengthAndWhereTheFileEnded() throws IOException {
        byte[] whole = IdxBytes.images(3, 2, 3);
        Path images = IdxBytes.write(temp.resolve("images"), Arrays.copyOf(whole, whole.length - 4));
        Path labels = IdxBytes.write(temp.resolve("labels"), IdxBytes.labels(1, 2, 3));

        DataFormatException e = assertThrows(DataFormatException.class, () -> Mnist.loadSet(images, labels));

        assertEquals(30, e.offset());
        assertEquals("expected 18 bytes of pixel data (3 x 2 x 3) starting at offset 16, but the file ended at offset 30",
                e.detail());
    }

    @Test
    void truncatedHeaderSaysWhichFieldIsMissing() throws IOException {
        Path images = IdxBytes.write(temp.resolve("images"), Arrays.copyOf(IdxBytes.images(3, 2, 3), 10));
        Path labels = IdxBytes.write(temp.resolve("labels"), IdxBytes.labels(1, 2, 3));

        DataFormatException e = assertThrows(DataFormatException.class, () -> Mnist.loadSet(images, labels));

        assertEquals(10, e.offset());
        assertEquals("expected the row count (4-byte big-endian integer) starting at offset 8, but the file ended at"
                + " offset 10", e.detail());
    }

    @Test
    void cutOffGzipStreamIsReportedAtTheDecompressedOffset() throws IOException {
        byte[] compressed = IdxBytes.gzip(IdxBytes.images(200, 28, 28));
        Path images = IdxBytes.write(temp.resolve("images.gz"), Arrays.copyOf(compressed, compressed.length / 2));
        Path labels = IdxBytes.write(temp.resolve("labels"), IdxBytes.labels(new int[200]));

        DataFormatException e = assertThrows(DataFormatException.class, () -> Mnist.loadSet(images, labels));

        assertEquals(images, e.path());
        assertTrue(e.offset() > 16 && e.offset() < 16 + 200 * 28 * 28, "offset " + e.offset());
        assertTrue(e.detail().startsWith("the gzip data is damaged or cut off here (Unexpected end of ZLIB input stream),"
                + " within 156800 bytes of pixel data (200 x 28 x 28) starting at offset 16"), e.detail());
    }

    @Test
    void headerClaimingHugeCountFailsAsTruncatedWithoutAllocatingIt() throws IOException {
        byte[] image = IdxBytes.images(1, 28, 28);
        image[4] = 0x7F; // count 0x7F000001 of 1x1 images, just below the array limit
        image[11] = 1;
        image[15] = 1;
        Path images = IdxBytes.write(temp.resolve("images"), image);
        Path labels = IdxBytes.write(temp.resolve("labels"), IdxBytes.labels(1));

        DataFormatException e = assertThrows(DataFormatException.class, () -> Mnist.loadSet(images, labels));

        assertEquals(16 + 28 * 28, e.offset());
        assertTrue(e.detail().startsWith("expected 2130706433 bytes of pixel data"), e.detail());
    }

    @Test
    void corruptGzipChecksumIsReported() throws IOException {
        byte[] compressed = IdxBytes.gzip(IdxBytes.labels(1, 2, 3));
        compressed[compressed.length - 8] ^= 1; // the CRC-32 of the trailer
        Path labels = IdxBytes.write(temp.resolve("labels.gz"), compressed);

        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.readLabels(labels, 10));

        assertTrue(e.detail().startsWith("the gzip data is damaged or cut off here (Corrupt GZIP trailer)"), e.detail());
    }

    @Test
    void labelOutsideZeroToNineNamesItemOffsetAndValue() throws IOException {
        Path images = IdxBytes.write(temp.resolve("images"), IdxBytes.images(3, 2, 3));
        Path labels = IdxBytes.write(temp.resolve("labels"), IdxBytes.labels(1, 9, 10));

        DataFormatException e = assertThrows(DataFormatException.class, () -> Mnist.loadSet(images, labels));

        assertEquals(labels, e.path());
        assertEquals(10, e.offset());
        assertEquals("label of item 2 is 10, expected a class index in 0-9", e.detail());
    }

    @Test
    void imageAndLabelCountsMustAgreeAndBothFilesAreNamed() throws IOException {
        Path images = IdxBytes.write(temp.resolve("some-images"), IdxBytes.images(3, 2, 3));
        Path labels = IdxBytes.write(temp.resolve("some-labels"), IdxBytes.labels(1, 2));

        DataFormatException e = assertThrows(DataFormatException.class, () -> Mnist.loadSet(images, labels));

        assertEquals(labels, e.path());
        assertEquals(4, e.offset());
        assertEquals("holds 2 labels, but " + images + " holds 3 images; expected one label per image", e.detail());
    }

    @Test
    void testImagesMustHaveTheSizeOfTrainingImages() throws IOException {
        IdxBytes.writeSet(temp, false);
        Path testImages = IdxBytes.write(temp.resolve("t10k-images-idx3-ubyte"), IdxBytes.images(2, 3, 2));

        DataFormatException e = assertThrows(DataFormatException.class, () -> Mnist.load(temp));

        assertEquals(testImages, e.path());
        assertEquals(8, e.offset());
        assertTrue(e.detail().startsWith("test images are 3x2 but the training images in "), e.detail());
        assertTrue(e.detail().endsWith("train-images-idx3-ubyte are 2x3"), e.detail());
    }

    @Test
    void zeroRowsAreRejected() throws IOException {
        Path images = IdxBytes.write(temp.resolve("images"), IdxBytes.images(0, 0, 3));
        Path labels = IdxBytes.write(temp.resolve("labels"), IdxBytes.labels());

        DataFormatException e = assertThrows(DataFormatException.class, () -> Mnist.loadSet(images, labels));

        assertEquals(8, e.offset());
        assertEquals("expected a positive row count, found 0", e.detail());
    }

    @Test
    void trailingBytesAreAnErrorBecauseTheHeaderFixesTheLength() throws IOException {
        byte[] whole = IdxBytes.images(3, 2, 3);
        Path images = IdxBytes.write(temp.resolve("images"), Arrays.copyOf(whole, whole.length + 1));
        Path labels = IdxBytes.write(temp.resolve("labels"), IdxBytes.labels(1, 2, 3));

        DataFormatException e = assertThrows(DataFormatException.class, () -> Mnist.loadSet(images, labels));

        assertEquals(whole.length, e.offset());
        assertTrue(e.detail().startsWith("expected the end of the file after 3 images"), e.detail());
    }

    @Test
    void gzipOffsetsAreMarkedAsDecompressed() throws IOException {
        Path images = IdxBytes.write(temp.resolve("images.gz"), IdxBytes.gzip(IdxBytes.labels(1)));

        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(images));

        assertTrue(e.detail().endsWith("(offsets count decompressed bytes of this gzip file)"), e.detail());
    }

    @Test
    void missingFilesAreNotMistakenForFormatErrors() throws IOException {
        Path images = temp.resolve("absent");
        assertThrows(java.nio.file.NoSuchFileException.class, () -> IdxReader.readImages(images));
        assertTrue(Files.notExists(images));
    }
}
