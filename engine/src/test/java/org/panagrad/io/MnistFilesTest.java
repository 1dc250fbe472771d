package org.panagrad.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistFilesTest {
    @TempDir
    Path temp;

    @Test
    void explicitDirectoryIsTheOnlyPlaceSearched() throws IOException {
        Path work = temp.resolve("work");
        IdxBytes.writeSet(work.resolve("data/mnist"), true);
        Path explicit = temp.resolve("nowhere");

        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> MnistFiles.locate(explicit, null, work));

        assertTrue(e.getMessage().contains(explicit + " (the directory asked for): does not exist"), e.getMessage());
        assertTrue(!e.getMessage().contains("data/mnist ("), e.getMessage());
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,"
                + " t10k-labels-idx1-ubyte"), e.getMessage());
    }

    @Test
    void environmentVariableIsUsedWhenNoDirectoryIsGiven() throws IOException {
        Path fromEnvironment = IdxBytes.writeSet(temp.resolve("env"), false);

        MnistFiles files = MnistFiles.locate(null, fromEnvironment.toString(), temp.resolve("work"));

        assertEquals(fromEnvironment.resolve("train-images-idx3-ubyte"), files.trainImages());
    }

    @Test
    void fallsBackToDataThenSharedDataUnderTheWorkingDirectory() throws IOException {
        Path work = temp.resolve("repo");
        Files.createDirectories(work);
        Path shared = IdxBytes.writeSet(temp.resolve("shared/data/mnist"), true);

        MnistFiles files = MnistFiles.locate(null, null, work);

        assertEquals(shared.resolve("t10k-labels-idx1-ubyte.gz").normalize(), files.testLabels().normalize());

        IdxBytes.writeSet(work.resolve("data/mnist"), false);
        assertEquals(work.resolve("data/mnist/t10k-labels-idx1-ubyte"), MnistFiles.locate(null, "", work).testLabels());
    }

    @Test
    void fashionMnistHasItsOwnDirectoriesAndVariable() throws IOException {
        Path work = temp.resolve("repo");
        Files.createDirectories(work);
        IdxBytes.writeSet(temp.resolve("shared/data/mnist"), true);
        Path shared = IdxBytes.writeSet(temp.resolve("shared/data/fashion-mnist"), true);

        MnistFiles files = MnistFiles.locate(null, "fashion-mnist", null, work);

        assertEquals(shared.resolve("train-images-idx3-ubyte.gz").normalize(), files.trainImages().normalize());
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> MnistFiles.locate(null, "fashion-mnist", null, temp.resolve("elsewhere")));
        assertTrue(e.getMessage().startsWith("Fashion-MNIST data not found."), e.getMessage());
        assertTrue(e.getMessage().contains("/usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist)"), e.getMessage());
        assertTrue(e.getMessage().contains("set FASHION_MNIST_DIR"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MnistFiles.locate(null, "cifar10", null, work));
    }

    @Test
    void nothingFoundListsEveryPlaceAndWhatWasMissing() throws IOException {
        Path work = temp.resolve("repo");
        Path data = IdxBytes.writeSet(work.resolve("data/mnist"), false);
        Files.delete(data.resolve("t10k-labels-idx1-ubyte"));

        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> MnistFiles.locate(null, null, work));

        String message = e.getMessage();
        assertTrue(message.startsWith("MNIST data not found. Searched:\n  " + data.toAbsolutePath()
                + " (./data/mnist): missing t10k-labels-idx1-ubyte\n  "
                + temp.resolve("shared/data/mnist").toAbsolutePath() + " (../shared/data/mnist): does not exist\n"),
                message);
        assertTrue(message.contains("set MNIST_DIR"), message);
    }

    @Test
    void acceptsTheDottedNaming() throws IOException {
        Path dir = temp.resolve("dotted");
        for (String name : MnistFiles.NAMES) {
            IdxBytes.write(dir.resolve(name.replace("-idx", ".idx")), new byte[0]);
        }

        MnistFiles files = MnistFiles.locate(dir, null, temp);

        assertEquals(dir.resolve("train-images.idx3-ubyte"), files.trainImages());
        assertEquals(dir.resolve("t10k-labels.idx1-ubyte"), files.testLabels());
    }
}
