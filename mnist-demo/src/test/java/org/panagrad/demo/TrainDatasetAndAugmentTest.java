package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code train --dataset fashion-mnist} and {@code train --augment} end to end on lenet5, as a user runs them:
 * the data found where the demo looks, the dataset and the augmentation named in the output, a training loss that
 * falls from one epoch to the next.
 */
class TrainDatasetAndAugmentTest {
    private static final Pattern EPOCH = Pattern.compile("epoch (\\d+)/\\d+  train loss (\\S+)  test loss \\S+  test accuracy (\\S+)%.*");

    /**
     * Training images: 16 steps of 32 an epoch. lenet5 leaves the loss plateau of ln 10 within them with Adam at
     * 2e-3 (its SGD recipe needs more steps than a test should take).
     */
    private static final int TRAIN = 512;

    @TempDir
    Path dir;

    /**
     * In a working directory holding ./data/mnist (8x8 images, which lenet5 cannot take) and ./data/fashion-mnist
     * (28x28 squares), with neither $MNIST_DIR nor $FASHION_MNIST_DIR set, {@code --dataset fashion-mnist} trains on the
     * second, in a JVM of its own (the search reads the working directory and the environment).
     */
    @Test
    void fashionMnistIsFoundInItsOwnDirectoryAndNamed() throws IOException, InterruptedException {
        Path cwd = dir.resolve("cwd");
        SyntheticMnist.withSeed(cwd.resolve("data/mnist"), 64, 32, 7);
        SyntheticMnist.withSquares(cwd.resolve("data/fashion-mnist"), TRAIN, 64);
        List<String> args = List.of("train", "--no-progress", "--model", "lenet5", "--dataset", "fashion-mnist",
                "--epochs", "2", "--batch", "32", "--optimizer", "adam", "--lr", "0.002",
                "--checkpoint", dir.resolve("fashion.safetensors").toString(),
                "--metrics", dir.resolve("fashion.jsonl").toString());
        List<String> out;
        try (ChildJvm child = ChildJvm.start(dir.resolve("runs"), args, cwd, List.of("MNIST_DIR", "FASHION_MNIST_DIR"))) {
            assertEquals(0, child.await(120), child::toString);
            out = child.out();
        }
        assertTrue(out.contains("data fashion-mnist from data/fashion-mnist: 512 training and 64 test images"), out::toString);
        assertLearned(epochs(out), out.toString());
        Checkpoint c = Checkpoint.load(dir.resolve("fashion.safetensors"), null);
        assertEquals("lenet5", c.model());
    }

    /**
     * {@code --augment} is reported, learns (on squares that a 2-pixel crop keeps recognisable, {@link SyntheticMnist#withSquares}), gives the same model
     * twice at one seed, and another model than the same run without it: the crops reached the training step.
     */
    @Test
    void augmentIsReportedLearnsAndChangesTheModelReproducibly() throws IOException {
        Path data = SyntheticMnist.withSquares(dir.resolve("squares"), TRAIN, 64);
        Cli plain = lenet5(data, "plain");
        Cli augmented = lenet5(data, "augmented", "--augment");
        Cli again = lenet5(data, "again", "--augment");
        for (Cli r : List.of(plain, augmented, again)) assertEquals(0, r.exitCode(), r::toString);

        String line = "data mnist from " + data + ": 512 training and 64 test images";
        assertTrue(plain.out().contains(line + "\n"), plain::toString);
        assertTrue(augmented.out().contains(line + ", training images cropped at random with 2 pixels of zero padding"
                + " (--augment)\n"), augmented::toString);
        assertLearned(epochs(List.of(augmented.out().split("\n"))), augmented.toString());

        var plainModel = SafeTensors.read(dir.resolve("plain.safetensors")).tensors();
        var augmentedModel = SafeTensors.read(dir.resolve("augmented.safetensors")).tensors();
        assertEquals(augmentedModel, SafeTensors.read(dir.resolve("again.safetensors")).tensors(),
                "the same seed crops the same way");
        assertNotEquals(plainModel, augmentedModel, "--augment changed nothing");
    }

    private Cli lenet5(Path data, String name, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--no-progress", "--data", data.toString(), "--model", "lenet5",
                "--epochs", "2", "--batch", "32", "--optimizer", "adam", "--lr", "0.002",
                "--checkpoint", dir.resolve(name + ".safetensors").toString(),
                "--metrics", dir.resolve(name + ".jsonl").toString()));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(new String[0]));
    }

    /** Epoch 2's training loss at most half epoch 1's (about 2.1 to 0.5), and the test images learned (chance: 10%). */
    private static void assertLearned(double[][] epochs, String run) {
        assertTrue(epochs[1][0] < 0.5 * epochs[0][0], () -> "training loss by epoch: " + run);
        assertTrue(epochs[1][1] > 80, () -> "test accuracy after epoch 2: " + run);
    }

    /** Each epoch line's training loss and test accuracy (percent), in order. */
    private static double[][] epochs(List<String> out) {
        List<double[]> found = new ArrayList<>();
        for (String line : out) {
            Matcher m = EPOCH.matcher(line);
            if (m.matches()) {
                assertEquals(found.size() + 1, Integer.parseInt(m.group(1)), line);
                found.add(new double[] {Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3))});
            }
        }
        assertEquals(2, found.size(), out::toString);
        return found.toArray(new double[0][]);
    }
}
