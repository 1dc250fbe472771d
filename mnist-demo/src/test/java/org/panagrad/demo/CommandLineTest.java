package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"train", "eval", "graph", "profile", "hessian", "export", "report"})
    void everyCommandHasHelp(String command) {
        Cli r = Cli.run(command, "--help");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("Usage: mnist-demo " + command), r::toString);
    }

    @Test
    void trainHelpListsTheOptionsOfTheIssue() {
        String help = Cli.run("train", "--help").out();
        for (String option : new String[] {"--layers", "--activation", "--batch", "--epochs", "--lr", "--optimizer",
                "--threads", "--seed", "--checkpoint", "--resume", "--metrics", "--samples", "--data", "--no-progress"}) {
            assertTrue(help.contains(option), option + " missing from\n" + help);
        }
        assertTrue(help.contains("sgd, momentum, adam"), help);
    }

    @Test
    void everyDataCommandTakesData() {
        for (String command : new String[] {"train", "eval", "profile", "hessian"}) {
            assertTrue(Cli.run(command, "--help").out().contains("--data=DIR"), command);
        }
    }

    @Test
    void anUnknownOptimizerIsAUsageError() {
        Cli r = Cli.run("train", "--optimizer", "rmsprop");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("unknown optimizer 'rmsprop' (expected sgd, momentum, adam, adamw, newton-cg, adahessian, kfac, lbfgs)"), r::toString);
    }

    @Test
    void optimizerNamesParseInOnePlace() {
        assertEquals(OptimizerChoice.ADAM, OptimizerChoice.parse("Adam"));
        assertEquals(OptimizerChoice.MOMENTUM, OptimizerChoice.parse("momentum"));
    }

    @Test
    void aMissingDataDirectoryNamesTheFilesNeededAndWritesNothing() {
        Path missing = dir.resolve("nowhere");
        Cli r = Cli.run("train", "--no-progress", "--data", missing.toString(),
                "--checkpoint", dir.resolve("ck.safetensors").toString(), "--metrics", dir.resolve("m.jsonl").toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains("MNIST data not found"), r::toString);
        assertTrue(r.err().contains(missing.toString()), r::toString);
        assertTrue(r.err().contains("train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,"
                + " t10k-labels-idx1-ubyte"), r::toString);
        assertNoStackTrace(r);
        assertEquals(0, list(dir).length, () -> Arrays.toString(list(dir)));
    }

    @Test
    void aWrongMagicNumberNamesTheFileAndTheOffset() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 20, 10);
        Path labels = data.resolve("t10k-labels-idx1-ubyte");
        byte[] bytes = Files.readAllBytes(labels);
        ByteBuffer.wrap(bytes).putInt(0x803);
        Files.write(labels, bytes);
        Cli r = Cli.run("eval", "--checkpoint", savedCheckpoint().toString(), "--data", data.toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains(labels.toString() + ": at byte offset 0"), r::toString);
        assertTrue(r.err().toLowerCase().contains("magic"), r::toString);
        assertNoStackTrace(r);
    }

    @Test
    void truncatedImagesNameTheFileAndTheOffset() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 20, 10);
        Path images = data.resolve("train-images-idx3-ubyte");
        byte[] bytes = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(bytes, bytes.length - 5));
        Cli r = Cli.run("train", "--no-progress", "--layers", SyntheticMnist.LAYERS, "--data", data.toString(),
                "--checkpoint", dir.resolve("ck.safetensors").toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains(images.toString() + ": at byte offset"), r::toString);
        assertNoStackTrace(r);
        assertFalse(Files.exists(dir.resolve("ck.safetensors")));
    }

    @Test
    void aLabelOutsideTheClassesNamesItsOffset() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 20, 10);
        Path labels = data.resolve("train-labels-idx1-ubyte");
        byte[] bytes = Files.readAllBytes(labels);
        bytes[8 + 3] = 12;
        Files.write(labels, bytes);
        Cli r = Cli.run("profile", "--layers", SyntheticMnist.LAYERS, "--data", data.toString(),
                "--trace", dir.resolve("t.json").toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains(labels + ": at byte offset 11"), r::toString);
        assertNoStackTrace(r);
        assertFalse(Files.exists(dir.resolve("t.json")));
    }

    @Test
    void imageAndLabelCountsThatDifferAreNamed() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 20, 10);
        Files.write(data.resolve("t10k-labels-idx1-ubyte"), SyntheticMnist.labelFile(new int[] {1, 2, 3}));
        Cli r = Cli.run("eval", "--checkpoint", savedCheckpoint().toString(), "--data", data.toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains("holds 3 labels, but"), r::toString);
        assertNoStackTrace(r);
    }

    @Test
    void badOptionValuesFailCleanly() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 20, 10);
        Cli threads = Cli.run("train", "--threads", "0", "--data", data.toString());
        assertEquals(Main.EXIT_FAILURE, threads.exitCode(), threads::toString);
        assertTrue(threads.err().contains("error: --threads 0 is out of range: expected 1 or more"), threads::toString);
        Cli layers = Cli.run("train", "--no-progress", "--layers", "784-x-10", "--data", data.toString());
        assertTrue(layers.err().contains("layer widths must look like 784-500-10"), layers::toString);
        Cli samples = Cli.run("train", "--no-progress", "--layers", SyntheticMnist.LAYERS, "--samples", "21",
                "--data", data.toString());
        assertTrue(samples.err().contains("error: --samples 21 is out of range: expected 1 to 20 (the training images in "
                + data + ")"), samples::toString);
        Cli widths = Cli.run("train", "--no-progress", "--data", data.toString());
        assertTrue(widths.err().contains("the images have 64 pixels but the first layer takes 784 inputs"), widths::toString);
        for (Cli r : new Cli[] {threads, layers, samples, widths}) assertNoStackTrace(r);
    }

    /** Each command's summary, as the command list shows it, is one whole sentence. */
    @Test
    void everySummaryIsAWholeSentence() {
        String list = Cli.run("--help").out();
        for (String command : new String[] {"train", "eval", "graph", "profile", "hessian", "curvature", "laplace", "influence",
                "export", "report"}) {
            String summary = list.substring(list.indexOf("  " + command + " ")).split("\n  [a-z]")[0]
                    .replaceAll("\\s+", " ").trim();
            assertTrue(summary.endsWith("."), "the summary of " + command + " stops mid-sentence: " + summary);
            assertTrue(summary.length() <= 160, "the summary of " + command + " is more than two lines: " + summary);
        }
        assertTrue(list.replaceAll("\\s+", " ").contains("hessian Analyses the loss landscape of a checkpoint as PyHessian does, with"), list);
    }

    /** Wrapping never breaks an address or a file name; graph and profile take no checkpoint. */
    @Test
    void helpTextsKeepAddressesAndFileNamesWhole() {
        String profile = Cli.run("profile", "--help").out().replaceAll("\\s+", " ");
        assertTrue(profile.contains("chrome://tracing") && profile.contains("https://ui.perfetto.dev"), profile);
        String list = Cli.run("--help").out().replaceAll("\\s+", " ");
        assertFalse(list.contains("chrome: //tracing") || list.contains("chrome:// tracing"), list);
        for (String command : new String[] {"train", "eval", "graph", "profile", "hessian", "export", "report"}) {
            String help = Cli.run(command, "--help").out().replaceAll("\\s+", " ");
            assertFalse(help.contains("for a checkpoint") && !List.of("eval", "hessian", "export").contains(command), help);
            for (String name : new String[] {"model.safetensors", "metrics.jsonl", "profile-trace.json", "train-step.dot",
                    "hessian-density.svg", "hessian.json", "report.html", "../shared/data/mnist", "runs/<command>-<date>-<time>/"}) {
                for (int at = 1; at < name.length(); at++) {
                    String split = name.substring(0, at) + " " + name.substring(at);
                    assertFalse(help.contains(split), command + " --help splits " + name + " as '" + split + "'");
                }
            }
        }
    }

    /** Every option's value has a label saying what it is (N, X, FILE, NAME), not picocli's field name. */
    @Test
    void everyOptionValueIsLabelled() {
        for (String command : new String[] {"train", "eval", "graph", "profile", "hessian", "export", "report"}) {
            String help = Cli.run(command, "--help").out();
            assertFalse(help.matches("(?s).*=<[a-zA-Z]+>.*"), command + " --help shows a field name:\n" + help);
        }
    }

    /** Choices are shown in one case, lower, as they are typed. */
    @Test
    void choicesAreShownInLowerCase() {
        String train = Cli.run("train", "--help").out().replaceAll("\\s+", " ");
        assertTrue(train.contains("he_uniform, he_normal, xavier_uniform, xavier_normal, torch_default (default:"
                + " torch_default"), train);
        assertTrue(train.contains("relu, tanh or sigmoid"), train);
        assertTrue(Cli.run("profile", "--help").out().replaceAll("\\s+", " ").contains("order, time (default: order)"));
    }

    /** Off a terminal (a file, a pipe, CI) there is no bar: the epoch's line is the one line a log gets. */
    @Test
    void offATerminalThereIsNoProgressBar() {
        assertFalse(Terminal.interactive(), "the tests run without a terminal");
        assertTrue(Progress.bar("epoch 1/1", 100, System.err) == Progress.NONE);
    }

    private Path savedCheckpoint() throws IOException {
        Model model = new Model(org.panagrad.nn.Mlp.parseWidths(SyntheticMnist.LAYERS), org.panagrad.nn.Activation.RELU);
        model.mlp.initialize(model.store, org.panagrad.nn.Init.HE_UNIFORM, 3);
        Path file = dir.resolve("model.safetensors");
        Checkpoint.save(file, model, java.util.Map.of());
        return file;
    }

    static void assertNoStackTrace(Cli r) {
        assertFalse(r.err().contains("\tat "), r::toString);
        assertFalse(r.err().contains("Exception"), r::toString);
    }

    private static Path[] list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toArray(Path[]::new);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
