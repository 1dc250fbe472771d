package org.panagrad.io;

import java.io.IOException;
import java.nio.file.Path;

/** The MNIST (or Fashion-MNIST) training and test sets, read from the four IDX files. */
public record Mnist(Dataset train, Dataset test) {
    public static final int CLASSES = 10;

    /** Locates the files as {@link MnistFiles#locate(Path)} does ({@code directory} may be null) and loads them. */
    public static Mnist load(Path directory) throws IOException {
        return load(MnistFiles.locate(directory));
    }

    /**
     * Loads both sets, checking that each image file and its label file agree on the count and that the test
     * images have the size of the training images.
     *
     * @throws DataFormatException naming the file, the byte offset and what was expected there
     */
    public static Mnist load(MnistFiles files) throws IOException {
        Dataset train = loadSet(files.trainImages(), files.trainLabels());
        Dataset test = loadSet(files.testImages(), files.testLabels());
        if (test.rows() != train.rows() || test.cols() != train.cols()) {
            throw new DataFormatException(files.testImages(), 8, "test images are " + test.rows() + "x" + test.cols()
                    + " but the training images in " + files.trainImages() + " are " + train.rows() + "x" + train.cols());
        }
        return new Mnist(train, test);
    }

    /** Loads one image file and its label file. */
    public static Dataset loadSet(Path imageFile, Path labelFile) throws IOException {
        IdxReader.Images images = IdxReader.readImages(imageFile);
        int[] labels = IdxReader.readLabels(labelFile, CLASSES);
        if (labels.length != images.count()) {
            throw new DataFormatException(labelFile, 4, "holds " + labels.length + " labels, but " + imageFile
                    + " holds " + images.count() + " images; expected one label per image");
        }
        return new Dataset(images.pixels(), labels, images.count(), images.rows(), images.cols());
    }
}
