package org.panagrad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Reads the real MNIST files if this checkout has them next to it, and checks the published facts. */
class MnistSharedDataTest {
    // Tests run in the engine module; the shared data sits next to the repository root.
    private static final Path[] PLACES = {Path.of("../../shared/data/mnist"), Path.of("../shared/data/mnist"),
            Path.of("/work/shared/data/mnist")};

    @Test
    void matchesTheCountsAndLabelHistogramsOfTheReadme() throws IOException {
        Path directory = Stream.of(PLACES)
                .filter(dir -> Files.isRegularFile(dir.resolve("t10k-labels-idx1-ubyte.gz")))
                .findFirst().orElse(null);
        assumeTrue(directory != null, "shared MNIST data not present");

        Mnist mnist = Mnist.load(directory);

        check(mnist.train(), 60000, new int[] {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
        check(mnist.test(), 10000, new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
        // The well-known first digits: a 5 in the training set, a 7 in the test set.
        assertEquals(5, mnist.train().labels()[0]);
        assertEquals(7, mnist.test().labels()[0]);
    }

    private static void check(Dataset set, int count, int[] histogram) {
        assertEquals(count, set.count());
        assertEquals(28, set.rows());
        assertEquals(28, set.cols());
        int[] found = new int[Mnist.CLASSES];
        for (int label : set.labels()) {
            found[label]++;
        }
        assertArrayEquals(histogram, found);
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float pixel : set.images()) {
            min = Math.min(min, pixel);
            max = Math.max(max, pixel);
        }
        assertEquals(0f, min);
        assertEquals(1f, max);
    }
}
