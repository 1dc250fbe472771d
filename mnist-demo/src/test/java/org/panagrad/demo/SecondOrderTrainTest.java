package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code train --optimizer newton-cg | adahessian | lbfgs}: closure optimizers behind the same loop. */
class SecondOrderTrainTest {
    @TempDir
    Path dir;
    Path data;

    @BeforeEach
    void data() throws IOException {
        data = SyntheticMnist.write(dir.resolve("data"), 600, 300);
    }

    private Cli train(String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--no-progress", "--data", data.toString(),
                "--layers", SyntheticMnist.LAYERS));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(new String[0]));
    }

    private static JsonObject lastEpoch(Path metrics) throws IOException {
        List<String> lines = Files.readAllLines(metrics);
        return new Gson().fromJson(lines.get(lines.size() - 1), JsonObject.class);
    }

    /** 600 images in batches of 64: 9 steps an epoch, and the last 24 images are skipped. */
    @ParameterizedTest
    @ValueSource(strings = {"newton-cg", "adahessian", "lbfgs"})
    void learnsFarBetterThanChanceAndSkipsTheLastPartialBatch(String optimizer) throws IOException {
        Path metrics = dir.resolve(optimizer + ".jsonl");
        Cli r = train("--optimizer", optimizer, "--batch", "64", "--epochs", "2", "--metrics", metrics.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("batch 64, 600 training images (the last 24 of each epoch skipped: " + optimizer),
                r::toString);
        JsonObject last = lastEpoch(metrics);
        assertEquals(18, last.get("step").getAsInt(), last::toString);
        assertTrue(last.get("test_accuracy").getAsDouble() > 0.5, r::toString); // chance is 0.1
    }

    @Test
    void newtonCgOptionsReachTheOptimizer() {
        Cli r = train("--optimizer", "newton-cg", "--batch", "100", "--epochs", "1", "--curvature-batch", "40",
                "--cg-iterations", "3", "--damping", "0.5");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("newton-cg (Gauss-Newton on 40 of each batch, CG <= 3, damping 0.5), batch 100,"
                + " 600 training images, seed 1"), r::toString); // 100 divides 600: nothing skipped
    }

    /**
     * A closure optimizer's state is not in the checkpoint: resuming warns, the step count goes on, and an
     * optimizer sidecar that an earlier momentum run left at the same path is removed rather than trusted.
     */
    @Test
    void resumingWarnsThatTheOptimizerStateRestarts() throws IOException {
        Path ck = dir.resolve("model.safetensors"), metrics = dir.resolve("m.jsonl");
        assertEquals(0, train("--epochs", "1", "--checkpoint", ck.toString()).exitCode());
        assertTrue(Files.exists(Checkpoint.optimizerSidecar(ck)));

        Cli first = train("--optimizer", "lbfgs", "--batch", "64", "--epochs", "1", "--checkpoint", ck.toString());
        assertEquals(0, first.exitCode(), first::toString);
        assertFalse(Files.exists(Checkpoint.optimizerSidecar(ck)));

        Cli resumed = train("--optimizer", "lbfgs", "--batch", "64", "--epochs", "2", "--resume", ck.toString(),
                "--metrics", metrics.toString());
        assertEquals(0, resumed.exitCode(), resumed::toString);
        assertTrue(resumed.out().contains("resuming " + ck + " at epoch 2, batch 1\nwarning: checkpoints do not hold"
                + " lbfgs's state (the last 10 (s, y) pairs): it restarts from its initial state"), resumed::toString);
        assertEquals(18, lastEpoch(metrics).get("step").getAsInt());
    }

    @Test
    void newtonCgOptionsAreRejectedForOtherOptimizers() {
        String[][] cases = {{"--cg-iterations", "5", "adam"}, {"--damping", "2", "lbfgs"}, {"--curvature-batch", "8", "momentum"}};
        for (String[] c : cases) {
            Cli r = train("--optimizer", c[2], c[0], c[1]);
            assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
            assertTrue(r.err().contains("error: " + c[0] + " applies only to --optimizer newton-cg, not " + c[2]), r::toString);
            CommandLineTest.assertNoStackTrace(r);
        }
    }

    @Test
    void badNewtonCgSettingsNameTheOptionAndWhatWasExpected() {
        assertError(train("--optimizer", "newton-cg", "--lr", "0.1"), "--lr does not apply to --optimizer newton-cg");
        assertError(train("--optimizer", "newton-cg", "--batch", "64", "--curvature-batch", "65"),
                "--curvature-batch must be between 1 and the batch size 64, got 65");
        assertError(train("--optimizer", "newton-cg", "--curvature-batch", "0"),
                "--curvature-batch must be between 1 and the batch size 500, got 0");
        assertError(train("--optimizer", "newton-cg", "--cg-iterations", "0"), "--cg-iterations must be at least 1, got 0");
        assertError(train("--optimizer", "newton-cg", "--damping", "-1"), "--damping must be positive, got -1.0");
        assertError(train("--optimizer", "adahessian", "--lr", "0"), "--lr must be positive, got 0.0");
    }

    @Test
    void graphAndProfileShowOnlyCompiledOptimizers() {
        Cli r = Cli.run("graph", "--optimizer", "newton-cg", "-o", dir.resolve("g.dot").toString(), "--no-svg");
        assertError(r, "newton-cg is not compiled into a training step");
        assertTrue(Cli.run("graph", "--help").out().contains("One of sgd, momentum, adam "), "graph --help");
    }

    private static void assertError(Cli r, String message) {
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains("error: " + message), () -> message + " in\n" + r);
        CommandLineTest.assertNoStackTrace(r);
    }
}
