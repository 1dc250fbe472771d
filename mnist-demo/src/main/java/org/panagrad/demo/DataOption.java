package org.panagrad.demo;

import org.panagrad.io.Mnist;
import org.panagrad.io.MnistFiles;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** {@code --data DIR}, shared by every command that reads MNIST, with the same default search everywhere. */
final class DataOption {
    @Option(names = "--data", paramLabel = "DIR",
            description = "Directory with the four MNIST (or Fashion-MNIST) IDX files, plain or .gz. Default: "
                    + "$MNIST_DIR, else ./data/mnist, else ../shared/data/mnist.")
    Path directory;

    Mnist load() throws IOException {
        return Mnist.load(MnistFiles.locate(directory));
    }
}
