package org.panagrad.demo;

import org.panagrad.io.Mnist;
import org.panagrad.io.MnistFiles;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code --data DIR} and {@code --dataset}, shared by every command that reads MNIST or Fashion-MNIST, with the
 * same default search everywhere.
 */
final class DataOption {
    @Option(names = "--dataset", defaultValue = "mnist", paramLabel = "NAME",
            description = "mnist or fashion-mnist (the same IDX layout; default: ${DEFAULT-VALUE}). Fashion-MNIST is searched"
                    + " in $FASHION_MNIST_DIR, else ./data/fashion-mnist, ../shared/data/fashion-mnist,"
                    + " /usr/share/datasets/fashion-mnist.")
    String dataset;

    @Option(names = "--data", paramLabel = "DIR",
            description = {"Directory with the four MNIST (or Fashion-MNIST) IDX files, plain or .gz.",
                    "Default: $MNIST_DIR, else ./data/mnist,", "else ../shared/data/mnist."})
    Path directory;

    private Path found;

    Mnist load() throws IOException {
        MnistFiles files = MnistFiles.locate(directory, dataset);
        found = files.trainImages().getParent();
        return Mnist.load(files);
    }

    /** The directory the data came from, for messages. */
    String describe() {
        return found != null ? found.toString() : directory != null ? directory.toString() : "the data directory";
    }
}
