package org.panagrad.spark.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.nn.Activation;
import org.panagrad.optim.secondorder.OptimizerSnapshot;
import org.panagrad.spark.ModelSpec;
import org.panagrad.spark.ParameterFiles;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The command line's local SGD resumes exactly: `train --local-steps 4 --save F` stopped after one epoch and
 * continued by `train --resume F` writes the parameters and optimizer state an uninterrupted two-epoch run writes,
 * bit for bit, and a resume with other local steps fails naming both. Each run is the distributed jar's main in a
 * JVM of its own (a JVM holds one Spark context, and the other tests' is running), on the first 2,048 MNIST
 * training images.
 */
class TrainResumeCliTest {
    // Tests run in the spark module; the shared data sits next to the repository root.
    private static final Path[] PLACES = {Path.of("../../shared/data/mnist"), Path.of("../shared/data/mnist"),
            Path.of("/work/shared/data/mnist")};
    private static final ModelSpec SPEC = ModelSpec.mlp(Activation.RELU, 784, 16, 10);

    /** A finished child run: its exit code and what it printed. */
    private record Run(int exit, String out, String err) {
        String all() {
            return out + err;
        }
    }

    @Test
    void localSgdStoppedAfterAnEpochAndResumedWritesTheUninterruptedRunsFile(@TempDir Path dir) throws Exception {
        Path data = Stream.of(PLACES).filter(d -> Files.isRegularFile(d.resolve("train-labels-idx1-ubyte.gz"))).findFirst().orElse(null);
        assumeTrue(data != null, "shared MNIST data not present");
        List<String> common = List.of("train", "--master", "local[2]", "--data", data.toString(), "--samples", "2048",
                "--layers", "784-16-10", "--optimizer", "adam", "--batch", "64", "--local-steps", "4", "--seed", "3");
        Path whole = dir.resolve("whole.safetensors"), part = dir.resolve("part.safetensors");

        Run uninterrupted = run(dir, common, "--epochs", "2", "--save", whole.toString());
        assertEquals(0, uninterrupted.exit(), uninterrupted.all());
        assertTrue(uninterrupted.out().lines().anyMatch(l -> l.startsWith("round 8 ")),
                "16 steps per replica and epoch, 4 per round: 8 rounds\n" + uninterrupted.out());
        Run first = run(dir, common, "--epochs", "1", "--save", part.toString());
        assertEquals(0, first.exit(), first.all());
        Run rest = run(dir, common, "--epochs", "2", "--resume", part.toString(), "--save", part.toString());
        assertEquals(0, rest.exit(), rest.all());
        assertTrue(rest.out().contains("resumed after round 4 (16 steps)"), rest.out());
        assertTrue(rest.out().lines().noneMatch(l -> l.startsWith("round 4 ")) && rest.out().lines().anyMatch(l -> l.startsWith("round 5 ")),
                "the resumed run starts at round 5\n" + rest.out());

        ParameterFiles.Checkpoint a = ParameterFiles.loadCheckpoint(whole, SPEC), b = ParameterFiles.loadCheckpoint(part, SPEC);
        assertArrayEquals(a.parameters(), b.parameters(), "the resumed run's parameters, bit for bit");
        OptimizerSnapshot sa = a.requireState().optimizer(), sb = b.requireState().optimizer();
        assertEquals(sa.scalars(), sb.scalars(), "Adam's step count and settings");
        assertEquals(sa.tensors().size(), sb.tensors().size(), "Adam's tensors");
        for (int i = 0; i < sa.tensors().size(); i++) {
            assertArrayEquals(sa.tensors().get(i).data(), sb.tensors().get(i).data(), "Adam's " + sa.tensors().get(i).name());
        }
        assertEquals("8", b.requireState().get("rounds"), "the position after the resumed run");

        List<String> otherSteps = new ArrayList<>(common);
        otherSteps.set(otherSteps.indexOf("--local-steps") + 1, "8");
        Run refused = run(dir, otherSteps, "--epochs", "2", "--resume", part.toString());
        assertEquals(1, refused.exit(), refused.all());
        assertTrue(refused.err().contains("local steps 4 (saved) vs 8 (now)"), refused.err());
    }

    /** The distributed jar's main in a JVM of its own, with this JVM's options (Spark's --add-opens among them). */
    private static Run run(Path dir, List<String> common, String... more) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(common);
        command.addAll(List.of(more));
        Path out = Files.createTempFile(dir, "out", ".txt"), err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("train did not end within 5 minutes: " + String.join(" ", more));
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
