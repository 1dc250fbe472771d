package org.panagrad.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A small MNIST-shaped data set in the four IDX files, easy enough to learn in one short epoch: images of
 * 8x8 pixels where class c lights up the pixels whose index is c modulo 10, over random dark noise.
 */
final class SyntheticMnist {
    static final int SIDE = 8;
    static final int PIXELS = SIDE * SIDE;
    static final String LAYERS = PIXELS + "-16-10";

    private SyntheticMnist() {}

    static Path write(Path directory, int train, int test) throws IOException {
        return write(directory, train, test, SIDE, 42);
    }

    /** The same data set with images of side x side pixels (28 for the zoo's CNNs). */
    static Path write(Path directory, int train, int test, int side) throws IOException {
        return write(directory, train, test, side, 42);
    }

    /** Another seed gives other labels and images of the same shape: "other data" for a checkpoint. */
    static Path withSeed(Path directory, int train, int test, long seed) throws IOException {
        return write(directory, train, test, SIDE, seed);
    }

    /**
     * 28x28 images where class c is a bright 6x6 square at the c-th of ten places (three rows of four, 7 to 9
     * pixels apart): a crop that shifts the image by 2 pixels keeps it recognisable, as it does a digit, whereas
     * it turns the stripes of {@link #write} into another class's (a shift by one column makes c's stripes c+1's).
     */
    static Path withSquares(Path directory, int train, int test) throws IOException {
        return write(directory, train, test, 28, 42, SyntheticMnist::inSquare);
    }

    private static boolean inSquare(int label, int pixel, int side) {
        int row = pixel / side - (2 + 9 * (label / 4)), column = pixel % side - (1 + 7 * (label % 4));
        return row >= 0 && row < 6 && column >= 0 && column < 6;
    }

    private static Path write(Path directory, int train, int test, int side, long seed) throws IOException {
        return write(directory, train, test, side, seed, SyntheticMnist::inStripe);
    }

    /** Whether {@code pixel} of an image of class {@code label} is lit. */
    private interface Pattern {
        boolean lit(int label, int pixel, int side);
    }

    private static boolean inStripe(int label, int pixel, int side) {
        return pixel % 10 == label;
    }

    private static Path write(Path directory, int train, int test, int side, long seed, Pattern pattern) throws IOException {
        Files.createDirectories(directory);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] trainLabels = labels(train, rnd), testLabels = labels(test, rnd);
        Files.write(directory.resolve("train-images-idx3-ubyte"), images(trainLabels, rnd, side, pattern));
        Files.write(directory.resolve("train-labels-idx1-ubyte"), labelFile(trainLabels));
        Files.write(directory.resolve("t10k-images-idx3-ubyte"), images(testLabels, rnd, side, pattern));
        Files.write(directory.resolve("t10k-labels-idx1-ubyte"), labelFile(testLabels));
        return directory;
    }

    private static int[] labels(int n, SplittableRandom rnd) {
        int[] l = new int[n];
        for (int i = 0; i < n; i++) l[i] = rnd.nextInt(10);
        return l;
    }

    static byte[] images(int[] labels, SplittableRandom rnd) {
        return images(labels, rnd, SIDE);
    }

    static byte[] images(int[] labels, SplittableRandom rnd, int side) {
        return images(labels, rnd, side, SyntheticMnist::inStripe);
    }

    private static byte[] images(int[] labels, SplittableRandom rnd, int side, Pattern pattern) {
        ByteBuffer b = ByteBuffer.allocate(16 + labels.length * side * side);
        b.putInt(0x803).putInt(labels.length).putInt(side).putInt(side);
        for (int label : labels) {
            for (int p = 0; p < side * side; p++) {
                int value = pattern.lit(label, p, side) ? 160 + rnd.nextInt(96) : rnd.nextInt(90);
                b.put((byte) value);
            }
        }
        return b.array();
    }

    static byte[] labelFile(int[] labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(0x801).putInt(labels.length);
        for (int label : labels) b.put((byte) label);
        return b.array();
    }
}
