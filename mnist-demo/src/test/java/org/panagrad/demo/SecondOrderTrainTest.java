package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.panagrad.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code train --optimizer newton-cg | adahessian | lbfgs}: closure optimizers behind the same loop. */
class SecondOrderTrainTest extends SyntheticDataTest {
    private Cli train(String... extra) {
        return Cli.train(data, extra);
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

    /**
     * Newton-CG (Gauss-Newton through batch norm's batch statistics) and AdaHessian (Hutchinson probes of the same)
     * train resnet8; the running statistics move once per step, and the evaluation commands read the checkpoint.
     */
    @ParameterizedTest
    @ValueSource(strings = {"newton-cg", "adahessian"})
    void secondOrderOptimizersTrainACnnWithBatchNorm(String optimizer) throws IOException {
        Path images = SyntheticMnist.write(dir.resolve("data28"), 128, 64, 28);
        Path ck = dir.resolve(optimizer + "-resnet8.safetensors");
        Cli r = Cli.run("train", "--no-progress", "--data", images.toString(), "--model", "resnet8", "--optimizer", optimizer,
                "--batch", "32", "--epochs", "1", "--checkpoint", ck.toString());
        assertEquals(0, r.exitCode(), r::toString);
        var state = org.panagrad.io.SafeTensors.read(ck);
        assertEquals(4f, state.tensor("bn1.num_batches_tracked").data()[0], r::toString); // 128 / 32 steps
        float[] mean = state.tensor("layer3.0.bn2.running_mean").data();
        assertTrue(mean[0] != 0 || mean[1] != 0, r::toString);
        Cli eval = Cli.run("eval", "--checkpoint", ck.toString(), "--data", images.toString());
        assertEquals(0, eval.exitCode(), eval::toString);
        assertTrue(eval.out().contains("ResNet(Conv2d(1, 16"), eval::toString);
        Cli hessian = Cli.run("hessian", "--checkpoint", ck.toString(), "--data", images.toString(), "--samples", "32",
                "--batch", "32", "--top-k", "1", "--max-iterations", "5", "--trace-samples", "2", "--lanczos-runs", "1", "--lanczos-steps", "4");
        assertEquals(0, hessian.exitCode(), hessian::toString);
        assertTrue(hessian.out().contains("77,754 parameters"), hessian::toString);
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
     * Stopped in the middle of the second epoch (600 images in batches of 64: 9 steps an epoch, stop after 12)
     * and resumed, a closure optimizer ends with exactly the weights and the optimizer state of an
     * uninterrupted run: its state went through the sidecar, and nothing warns that it restarted.
     */
    @ParameterizedTest
    @ValueSource(strings = {"newton-cg", "adahessian", "lbfgs"})
    void stoppingMidEpochThenResumingMatchesAnUninterruptedRun(String name) throws IOException {
        Path whole = dir.resolve("whole.safetensors"), stopped = dir.resolve("stopped.safetensors");
        Cli uninterrupted = train("--optimizer", name, "--batch", "64", "--epochs", "2", "--checkpoint", whole.toString());
        assertEquals(0, uninterrupted.exitCode(), uninterrupted::toString);

        OptimizerChoice optimizer = OptimizerChoice.parse(name);
        Interrupted.trainThenStop(data, optimizer, new OptimizerChoice.Settings(optimizer.learningRate(null), 1,
                new NewtonCgOptions()), 64, 2, 600, stopped, 12);
        assertEquals(12, Checkpoint.load(stopped, null).metadataLong(Checkpoint.STEP, -1));
        assertEquals(name, SafeTensors.read(Checkpoint.optimizerState(stopped)).metadata().get(Checkpoint.OPTIMIZER));

        Cli resumed = train("--optimizer", name, "--batch", "64", "--epochs", "2", "--resume", stopped.toString(),
                "--checkpoint", stopped.toString());
        assertEquals(0, resumed.exitCode(), resumed::toString);
        assertTrue(resumed.out().contains("resuming " + stopped + " at epoch 2, batch 4 (step 12)\ndata mnist from " + data + ": "),
                resumed::toString);
        assertFalse(resumed.out().contains("warning"), resumed::toString);
        assertEquals(SafeTensors.read(whole).tensors(), SafeTensors.read(stopped).tensors(), "the weights");
        assertEquals(SafeTensors.read(Checkpoint.optimizerState(whole)), SafeTensors.read(Checkpoint.optimizerState(stopped)),
                "the optimizer's state and step");
    }

    /** Another optimizer's state cannot continue this one: resuming with it fails and names both. */
    @Test
    void resumingWithAnotherOptimizerIsAnError() throws IOException {
        Path ck = dir.resolve("model.safetensors");
        assertEquals(0, train("--optimizer", "lbfgs", "--batch", "64", "--epochs", "1", "--checkpoint", ck.toString()).exitCode());
        String sidecar = Checkpoint.optimizerState(ck).toString();
        assertError(train("--optimizer", "adahessian", "--batch", "64", "--epochs", "2", "--resume", ck.toString()),
                sidecar + ": holds the state of --optimizer lbfgs, but this run uses --optimizer adahessian; resume with"
                        + " --optimizer lbfgs");
        assertError(train("--batch", "64", "--epochs", "2", "--resume", ck.toString()),
                sidecar + ": holds the state of --optimizer lbfgs, but this run uses --optimizer momentum");

        assertEquals(0, train("--epochs", "1", "--checkpoint", ck.toString()).exitCode());
        assertError(train("--optimizer", "newton-cg", "--epochs", "2", "--resume", ck.toString()),
                Checkpoint.optimizerState(ck) + ": holds the state of --optimizer momentum, but this run uses --optimizer"
                        + " newton-cg");
    }

    /** A sidecar of the same optimizer but another model (a 64-16-10 state for a 64-8-10 run) names the tensor. */
    @Test
    void aStateOfAnotherShapeIsAnError() throws IOException {
        Path ck = dir.resolve("model.safetensors"), small = dir.resolve("small.safetensors");
        assertEquals(0, train("--optimizer", "adahessian", "--epochs", "1", "--checkpoint", ck.toString()).exitCode());
        assertEquals(0, Cli.run("train", "--no-progress", "--data", data.toString(), "--layers", SyntheticMnist.PIXELS + "-8-10",
                "--optimizer", "adahessian", "--epochs", "1", "--checkpoint", small.toString()).exitCode());
        Files.copy(Checkpoint.optimizerState(ck), Checkpoint.optimizerState(small), StandardCopyOption.REPLACE_EXISTING);
        int params = SyntheticMnist.PIXELS * 8 + 8 + 8 * 10 + 10, other = SyntheticMnist.PIXELS * 16 + 16 + 16 * 10 + 10;
        assertError(Cli.run("train", "--no-progress", "--data", data.toString(), "--optimizer", "adahessian",
                        "--epochs", "2", "--resume", small.toString()),
                Checkpoint.optimizerState(small) + ": adahessian state: tensor 'exp_avg' has shape [" + other
                        + "]; expected [" + params + "]");
    }

    /** Without a sidecar for its step (a file PyTorch wrote has none), resuming warns that the state restarts. */
    @Test
    void aCheckpointWithoutOptimizerStateResumesWithAWarning() throws IOException {
        Path ck = dir.resolve("model.safetensors"), metrics = dir.resolve("m.jsonl");
        assertEquals(0, train("--optimizer", "lbfgs", "--batch", "64", "--epochs", "1", "--checkpoint", ck.toString()).exitCode());
        Files.delete(Checkpoint.optimizerState(ck));
        Cli resumed = train("--optimizer", "lbfgs", "--batch", "64", "--epochs", "2", "--resume", ck.toString(),
                "--metrics", metrics.toString());
        assertEquals(0, resumed.exitCode(), resumed::toString);
        assertTrue(resumed.out().contains("resuming " + ck + " at epoch 2, batch 1 (step 9)\nwarning: no matching optimizer state"
                + " next to it: lbfgs's state (the last 10 (s, y) pairs) restarts from its initial state"), resumed::toString);
        assertEquals(18, lastEpoch(metrics).get("step").getAsInt(), "the step count goes on");
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
                "--curvature-batch 65 is out of range: expected 1 to 64 (the batch size)");
        assertError(train("--optimizer", "newton-cg", "--curvature-batch", "0"),
                "--curvature-batch 0 is out of range: expected 1 or more");
        assertError(train("--optimizer", "newton-cg", "--cg-iterations", "0"),
                "--cg-iterations 0 is out of range: expected 1 or more");
        assertError(train("--optimizer", "newton-cg", "--damping", "-1"),
                "--damping -1 is out of range: expected a finite number above 0");
        assertError(train("--optimizer", "adahessian", "--lr", "0"), "--lr 0 is out of range: expected a finite number above 0");
        assertError(train("--optimizer", "adam", "--lr", "Infinity"),
                "--lr Infinity is out of range: expected a finite number above 0");
    }

    @Test
    void graphAndProfileShowOnlyCompiledOptimizers() {
        Cli r = Cli.run("graph", "--optimizer", "newton-cg", "-o", dir.resolve("g.dot").toString(), "--no-svg");
        assertError(r, "newton-cg is not compiled into a training step");
        assertTrue(Cli.run("graph", "--help").out().contains("One of sgd, momentum, adam, adamw "), "graph --help");
    }

    private static void assertError(Cli r, String message) {
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains("error: " + message), () -> message + " in\n" + r);
        CommandLineTest.assertNoStackTrace(r);
    }
}
