package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.panagrad.io.SafeTensors;
import org.panagrad.io.TensorData;
import org.panagrad.nn.Activation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What README's "Failure behaviour" promises, command by command. */
class FailureBehaviourTest extends SyntheticDataTest {
    private Cli train(String... extra) {
        List<String> args = new ArrayList<>(List.of("--threads", "1"));
        args.addAll(List.of(extra));
        return Cli.train(data, args.toArray(new String[0]));
    }

    private static void assertError(Cli r, String message) {
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains("error: " + message), () -> "expected\n  error: " + message + "\nin\n" + r);
        CommandLineTest.assertNoStackTrace(r);
    }

    /** The checkpoint records the batch size, not the batch index it stopped at (Trainer.save's parameter hid it). */
    @Test
    void theCheckpointRecordsTheBatchSizeAndThePosition() throws IOException {
        Path ck = dir.resolve("ck.safetensors");
        Interrupted.trainThenStop(data, OptimizerChoice.MOMENTUM, new OptimizerChoice.Settings(0.05, 1, new NewtonCgOptions()),
                32, 2, 600, ck, 23); // 19 batches an epoch: epoch 2, batch 5 next
        Map<String, String> meta = SafeTensors.readMetadata(ck);
        assertEquals("32", meta.get(Checkpoint.BATCH_SIZE));
        assertEquals("1", meta.get(Checkpoint.EPOCH));
        assertEquals("4", meta.get(Checkpoint.BATCH));
        assertEquals("23", meta.get(Checkpoint.STEP));
        assertEquals("600", meta.get(Checkpoint.SAMPLES));
        assertEquals("model.optimizer-23.safetensors".replace("model", "ck"), meta.get(Checkpoint.OPTIMIZER_STATE));
    }

    /** A NaN loss stops the run at its step; the checkpoint of the step before stays as it was. */
    @Test
    void aNaNLossStopsAtItsStepAndKeepsTheLastGoodCheckpoint() throws IOException {
        Path ck = dir.resolve("ck.safetensors");
        Cli r = train("--batch", "32", "--lr", "1e30", "--checkpoint", ck.toString(), "--checkpoint-every", "1");
        assertError(r, "the training loss is NaN at step 2 (epoch 1, batch 2 of 19); stopped, and did not save this model:"
                + " the last good checkpoint is " + ck + " (step 1: epoch 1, batch 1). Try a smaller --lr (now 1.0E30),"
                + " --on-nonfinite skip to skip such steps, or --detect-anomaly to find the operation that produced it");
        Checkpoint kept = Checkpoint.load(ck, null);
        assertEquals(1, kept.metadataLong(Checkpoint.STEP, -1));
        kept.requireFinite(ck);
        assertEquals("1", SafeTensors.readMetadata(Checkpoint.optimizerState(ck)).get(Checkpoint.STEP));
    }

    @Test
    void skippingGivesUpAfterTenNonFiniteStepsInARow() {
        Cli r = train("--batch", "32", "--lr", "1e30", "--on-nonfinite", "skip");
        assertError(r, "the training loss is NaN at step 2 (epoch 1, batch 12 of 19); that is 11 non-finite steps in a row:"
                + " the run has diverged, not hit a bad batch");
        for (int b = 2; b <= 11; b++) {
            assertTrue(r.err().contains("warning: the training loss is NaN at step 2 (epoch 1, batch " + b + " of 19);"
                    + " skipped it (" + (b - 1) + " skipped so far)"), r::toString);
        }
    }

    @Test
    void detectAnomalyNamesTheFirstOperationThatMadeANonFiniteValue() {
        Cli r = train("--batch", "32", "--lr", "1e30", "--detect-anomaly");
        assertError(r, "--detect-anomaly: at step 2 (epoch 1, batch 2), in the forward pass: instruction ");
        assertTrue(r.err().matches("(?s).*instruction \\d+ of \\d+, [a-z_+]+ \\[32x\\d+\\] \\(near parameters [0-9.a-z, ]+\\)"
                + " wrote -?(NaN|Infinity) at element \\d+ of .* while its inputs were finite.*"), r::toString);
        assertFalse(r.err().contains("or --detect-anomaly"), "no advice to do what is being done: " + r);
    }

    /** --lr 300 drives the loss up 100,000-fold while it stays finite: a warning names the step and the --lr. */
    @Test
    void aLossGrowingByOrdersOfMagnitudeIsWarnedAbout() {
        Cli r = train("--batch", "32", "--epochs", "1", "--lr", "300");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.err().matches("(?s)warning: the training loss has grown from 2\\.\\d+ to [0-9.e+]+ \\(smoothed over"
                + " steps\\) by step \\d+ \\(epoch 1, batch \\d+\\): the run is diverging\\. Try a smaller --lr \\(now 300\\.0\\)\n"),
                r::toString);
        assertFalse(train("--batch", "32", "--epochs", "2").err().contains("warning"), "a healthy run is not warned about");
    }

    @Test
    void numericOptionsAreRangeCheckedNamingOptionValueAndRange() {
        assertError(train("--epochs", "0"), "--epochs 0 is out of range: expected 1 or more");
        assertError(train("--batch", "0"), "--batch 0 is out of range: expected 1 or more");
        assertError(train("--batch", "601"), "--batch 601 is out of range: expected 1 to 600 (the training images used)");
        assertError(train("--samples", "0"), "--samples 0 is out of range: expected 1 or more");
        assertError(train("--lr", "-0.1"), "--lr -0.1 is out of range: expected a finite number above 0");
        assertError(train("--lr", "NaN"), "--lr NaN is out of range: expected a finite number above 0");
        assertError(train("--checkpoint-every", "0"), "--checkpoint-every 0 is out of range: expected 1 or more");
        assertError(Cli.run("train", "--layers", "64-0-10"), "layer widths must be positive, got '64-0-10'");
        assertError(Cli.run("hessian", "--checkpoint", "x.safetensors", "--top-k", "0"), "--top-k 0 is out of range: expected 1 or more");
        assertError(Cli.run("hessian", "--checkpoint", "x.safetensors", "--samples", "0"), "--samples 0 is out of range");
        assertError(Cli.run("hessian", "--checkpoint", "x.safetensors", "--grid", "1"), "--grid 1 is out of range: expected 2 or more");
        assertError(Cli.run("profile", "--steps", "0"), "--steps 0 is out of range: expected 1 or more");
        assertError(Cli.run("graph", "--batch=-3"), "--batch -3 is out of range: expected 1 or more");
    }

    @Test
    void moreThreadsThanProcessorsAreCappedWithAWord() {
        int cores = Runtime.getRuntime().availableProcessors();
        Cli r = Cli.run("train", "--no-progress", "--data", data.toString(), "--layers", SyntheticMnist.LAYERS, "--epochs", "1",
                "--threads", "64");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.err().contains("warning: --threads 64 is more than the " + cores + " processors available; using " + cores),
                r::toString);
    }

    /** Output paths are checked before any work: the message names the user's path, never a temporary file. */
    @Test
    void badOutputPathsFailBeforeAnyWorkNamingThePath() throws IOException {
        Path missing = dir.resolve("no/such/dir/model.safetensors");
        Cli r = train("--checkpoint", missing.toString());
        assertError(r, "--checkpoint " + missing + ": the directory " + missing.getParent() + " does not exist");
        assertFalse(r.out().contains("model "), "nothing was trained: " + r);

        Path directory = Files.createDirectories(dir.resolve("a-directory"));
        assertError(train("--metrics", directory.toString()), "--metrics " + directory + ": " + directory
                + " is a directory; expected a file name, such as " + directory.resolve("out"));
        assertError(train("--checkpoint", dir.resolve("ok.safetensors").toString(), "--resume", directory.toString()),
                "--resume " + directory + ": is a directory; expected a checkpoint file");

        Path plot = dir.resolve("gone/plot.png");
        assertError(Cli.run("hessian", "--checkpoint", dir.resolve("absent.safetensors").toString(), "--plot", plot.toString()),
                "--plot " + plot + ": the directory " + plot.getParent() + " does not exist");

        Path onnx = dir.resolve("gone/model.onnx");
        assertError(Cli.run("export", "--checkpoint", dir.resolve("absent.safetensors").toString(), "--out", onnx.toString()),
                "--out " + onnx + ": the directory " + onnx.getParent() + " does not exist");
        Path page = dir.resolve("gone/report.html");
        assertError(Cli.run("report", "--run", dir.toString(), "--out", page.toString()),
                "--out " + page + ": the directory " + page.getParent() + " does not exist");
        assertError(Cli.run("report", "--run", dir.resolve("absent").toString()), dir.resolve("absent") + ": no such run directory");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertError(train("--tensorboard", file.resolve("logs").toString()), "--tensorboard " + file.resolve("logs") + ": "
                + file + " is a file, not a directory");
        assertError(train("--tensorboard", file.toString()), "--tensorboard " + file + ": " + file + " is a file, not a directory");

        Path readOnly = readOnlyDirectory();
        Cli denied = train("--checkpoint", readOnly.resolve("model.safetensors").toString());
        assertError(denied, "--checkpoint " + readOnly.resolve("model.safetensors") + ": cannot create files in " + readOnly);
        for (Cli c : List.of(r, denied)) {
            assertFalse(c.err().contains(".tmp") || c.err().contains("AccessDenied") || c.err().contains("FileSystem"), c::toString);
        }
    }

    /** A directory this process cannot write: mode 555, or for root (who writes anyway) /sys. */
    private Path readOnlyDirectory() throws IOException {
        Path d = Files.createDirectories(dir.resolve("read-only"));
        d.toFile().setWritable(false, false);
        if (!Files.isWritable(d) || !canCreate(d)) return d;
        Path sys = Path.of("/sys");
        assumeTrue(Files.isDirectory(sys) && !canCreate(sys), "no directory here refuses new files to this user");
        return sys;
    }

    private static boolean canCreate(Path d) {
        try {
            Files.delete(Files.createTempFile(d, "probe", ".tmp"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void resumingWithAnotherBatchSeedSamplesOrActivationIsRefusedUnlessAllowed() throws IOException {
        Path ck = dir.resolve("ck.safetensors");
        assertEquals(0, train("--batch", "32", "--seed", "3", "--samples", "500", "--epochs", "1",
                "--checkpoint", ck.toString()).exitCode());
        String resume = "--resume";
        assertError(train("--epochs", "2", resume, ck.toString(), "--batch", "64"), "--batch 64 differs from the batch size 32"
                + " that " + ck + " was trained with, so the run would not continue it; leave the option out to use the"
                + " checkpoint's, or pass --allow-mismatch batch to change it anyway");
        assertError(train("--epochs", "2", resume, ck.toString(), "--seed", "4"), "--seed 4 differs from the seed 3 that " + ck);
        assertError(train("--epochs", "2", resume, ck.toString(), "--samples", "600"), "--samples 600 differs from the 500"
                + " samples that " + ck);
        assertError(train("--epochs", "2", resume, ck.toString(), "--activation", "tanh"), "--activation tanh differs from the"
                + " activation relu that " + ck);
        assertError(train("--epochs", "2", "--allow-mismatch", "colour", resume, ck.toString()),
                "--allow-mismatch colour: expected any of activation, batch, seed, samples, data");

        Cli same = train("--epochs", "2", resume, ck.toString(), "--checkpoint", dir.resolve("next.safetensors").toString());
        assertEquals(0, same.exitCode(), same::toString);
        assertTrue(same.out().contains("batch 32, 500 training images, seed 3"), "the checkpoint's values: " + same);
        Cli allowed = train("--epochs", "2", resume, ck.toString(), "--batch", "50", "--allow-mismatch", "batch",
                "--checkpoint", dir.resolve("other.safetensors").toString());
        assertEquals(0, allowed.exitCode(), allowed::toString);
        assertTrue(allowed.out().contains("batch 50, 500 training images, seed 3"), allowed::toString);
    }

    @Test
    void otherDataThanTheCheckpointsIsRefused() throws IOException {
        Path ck = dir.resolve("ck.safetensors");
        assertEquals(0, train("--epochs", "1", "--checkpoint", ck.toString()).exitCode());
        Path other = SyntheticMnist.withSeed(dir.resolve("other"), 600, 300, 7);
        Cli resumed = Cli.run("train", "--no-progress", "--data", other.toString(), "--epochs", "2", "--resume", ck.toString());
        assertError(resumed, other + " holds other data (labels CRC-32 ");
        assertTrue(resumed.err().contains("but " + ck + " was trained on other data (labels CRC-32 "), resumed::toString);
        assertTrue(resumed.err().contains("pass --data with that data, or --allow-mismatch data to go on anyway"), resumed::toString);
        assertError(Cli.run("eval", "--checkpoint", ck.toString(), "--data", other.toString()), other + " holds other data");
        Cli anyway = Cli.run("eval", "--checkpoint", ck.toString(), "--data", other.toString(), "--allow-other-data");
        assertEquals(0, anyway.exitCode(), anyway::toString);
    }

    @Test
    void evalRefusesNaNWeightsAndAnActivationContradictingTheFile() throws IOException {
        Model model = new Model(org.panagrad.nn.Mlp.parseWidths(SyntheticMnist.LAYERS), Activation.RELU);
        model.mlp.initialize(model.store, org.panagrad.nn.Init.TORCH_DEFAULT, 1);
        model.store.get(model.parameters().get(2))[7] = Float.NaN;
        Path ck = dir.resolve("diverged.safetensors");
        Checkpoint.save(ck, model, Map.of());
        assertError(Cli.run("eval", "--checkpoint", ck.toString(), "--data", data.toString()), ck + ": tensor '2.weight'"
                + " holds NaN at index ");
        assertTrue(Cli.run("eval", "--checkpoint", ck.toString(), "--data", data.toString()).err()
                .contains("the model diverged while training; use an earlier checkpoint"));

        model.store.get(model.parameters().get(2))[7] = 0.5f;
        Checkpoint.save(ck, model, Map.of());
        assertError(Cli.run("eval", "--checkpoint", ck.toString(), "--data", data.toString(), "--activation", "tanh"),
                "--activation tanh contradicts " + ck + ", which records relu; leave --activation out (it is for files"
                        + " whose metadata does not name one, as PyTorch's)");
        assertEquals(0, Cli.run("eval", "--checkpoint", ck.toString(), "--data", data.toString(), "--activation", "RELU")
                .exitCode());
    }

    @Test
    void debugShowsTheStackTraceOfAUserErrorWhichIsOtherwiseHidden() {
        Cli plain = train("--epochs", "0");
        CommandLineTest.assertNoStackTrace(plain);
        Cli debug = train("--epochs", "0", "--debug");
        assertEquals(Main.EXIT_FAILURE, debug.exitCode(), debug::toString);
        assertTrue(debug.err().contains("error: --epochs 0 is out of range") && debug.err().contains("\tat org.panagrad.demo."),
                debug::toString);
    }

    /** Run directories: the default outputs go under runs/<command>-<time>/, never into the current directory. */
    @Test
    void everyCommandWritesItsDefaultOutputsIntoARunDirectory() throws IOException {
        Path out = dir.resolve("chosen");
        Cli r = train("--epochs", "1", "--out-dir", out.toString());
        assertEquals(0, r.exitCode(), r::toString);
        try (var files = Files.list(out)) {
            assertEquals(List.of("metrics.jsonl", "metrics.png", "model.optimizer-5.safetensors", "model.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertTrue(r.out().startsWith("outputs in " + out + "/\n"), r::toString);

        Path runs = RunDirectory.root();
        Cli profile = Cli.run("profile", "--data", data.toString(), "--layers", SyntheticMnist.LAYERS, "--steps", "2",
                "--warmup", "0", "--batch", "16", "--threads", "1");
        assertEquals(0, profile.exitCode(), profile::toString);
        String trace = profile.out().lines().filter(l -> l.startsWith("trace: ")).findFirst().orElseThrow();
        Path written = Path.of(trace.substring("trace: ".length(), trace.indexOf(" (open it")));
        assertTrue(written.startsWith(runs) && written.getParent().getFileName().toString().matches("profile-\\d{8}-\\d{6}(-\\d+)?"),
                trace);
        assertTrue(Files.exists(written), trace);
        assertFalse(Files.exists(Path.of("profile-trace.json")), "nothing in the current directory");

        Cli hessian = Cli.run("hessian", "--checkpoint", out.resolve("model.safetensors").toString(), "--data", data.toString(),
                "--samples", "20", "--lanczos-steps", "5", "--grid", "50", "--trace-samples", "4", "--max-iterations", "5");
        assertEquals(0, hessian.exitCode(), hessian::toString);
        String plot = hessian.out().lines().filter(l -> l.startsWith("density plot: ")).findFirst().orElseThrow();
        Path svg = Path.of(plot.substring("density plot: ".length()));
        assertTrue(svg.startsWith(runs) && svg.getParent().getFileName().toString().matches("hessian-\\d{8}-\\d{6}(-\\d+)?"), plot);
        assertTrue(Files.exists(svg) && Files.exists(svg.resolveSibling("hessian.json")), hessian::toString);
        assertFalse(Files.exists(Path.of("hessian-density.svg")), "nothing in the current directory");

        // A command that fails before writing anything leaves no empty run directory behind.
        Path failing = dir.resolve("failing");
        assertEquals(Main.EXIT_FAILURE, Cli.run("train", "--epochs", "1", "--data", dir.resolve("nowhere").toString(),
                "--out-dir", failing.resolve("run").toString()).exitCode());
        assertFalse(Files.exists(failing), "the directories made for the run are gone again");
    }

    @Test
    void optionValuesAreAcceptedInAnyCase() {
        for (String[] args : new String[][] {{"--init", "he_uniform"}, {"--init", "HE_UNIFORM"}, {"--activation", "RELU"},
                {"--optimizer", "Adam"}, {"--on-nonfinite", "SKIP"}}) {
            List<String> all = new ArrayList<>(List.of("--epochs", "1", "--samples", "100"));
            all.addAll(Arrays.asList(args));
            Cli r = train(all.toArray(new String[0]));
            assertEquals(0, r.exitCode(), () -> Arrays.toString(args) + "\n" + r);
        }
        Cli sorted = Cli.run("profile", "--data", data.toString(), "--layers", SyntheticMnist.LAYERS, "--steps", "1",
                "--warmup", "0", "--batch", "8", "--sort", "TIME", "--threads", "1", "--out-dir", dir.resolve("p").toString());
        assertEquals(0, sorted.exitCode(), sorted::toString);
    }

    /** Resumed, a run continues the same losses and checkpoints; an earlier state file goes once replaced. */
    @Test
    void checkpointEveryNStepsKeepsOneStateFileNamedByTheModel() throws IOException {
        Path ck = dir.resolve("ck.safetensors");
        Cli r = train("--batch", "32", "--epochs", "1", "--checkpoint", ck.toString(), "--checkpoint-every", "5");
        assertEquals(0, r.exitCode(), r::toString);
        try (var files = Files.list(dir)) {
            assertEquals(List.of("ck.optimizer-19.safetensors", "ck.safetensors"), files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("ck")).sorted().toList());
        }
        List<TensorData> model = SafeTensors.read(ck).tensors();
        assertEquals(4, model.size(), "the model file is PyTorch's state dict: no optimizer tensors in it");
    }
}
