package org.panagrad.demo;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Checkpoints cross to PyTorch and back with no conversion, checked with PyTorch itself: scripts/torch_interop.py
 * loads ours with {@code load_state_dict(strict=True)} and writes its own, and both sides must print the same
 * test loss and accuracy. Skipped where /usr/bin/python3 has no torch.
 */
class TorchInteropTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SCRIPT = Path.of("scripts", "torch_interop.py").toAbsolutePath();
    private static final Pattern RESULT = Pattern.compile("test loss (\\S+)  test accuracy (\\S+)%");

    @TempDir
    Path dir;
    Path data;

    @BeforeAll
    static void torchIsInstalled() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(PYTHON), PYTHON + " is missing");
        assumeTrue(python("-c", "import torch, numpy").exitCode() == 0, PYTHON + " cannot import torch and numpy");
        assertTrue(Files.exists(SCRIPT), SCRIPT + " is missing");
    }

    @BeforeEach
    void data() throws IOException {
        data = SyntheticMnist.write(dir.resolve("data"), 600, 300);
    }

    @Test
    void pyTorchEvaluatesOurCheckpointAsWeDo() throws IOException, InterruptedException {
        Path ck = dir.resolve("ours.safetensors");
        Cli trained = Cli.run("train", "--no-progress", "--data", data.toString(), "--layers", SyntheticMnist.LAYERS,
                "--activation", "tanh", "--epochs", "1", "--checkpoint", ck.toString());
        assertEquals(0, trained.exitCode(), trained::toString);

        Cli ours = Cli.run("eval", "--checkpoint", ck.toString(), "--data", data.toString());
        assertEquals(0, ours.exitCode(), ours::toString);
        Cli torch = python(SCRIPT.toString(), "eval", ck.toString(), "--data", data.toString());
        assertEquals(0, torch.exitCode(), torch::toString);
        assertTrue(torch.out().contains("Sequential(Linear(64, 16), Tanh(), Linear(16, 10))"), torch::toString);
        assertEquals(result(ours), result(torch), () -> ours + "\n" + torch);
    }

    @Test
    void weEvaluateAPyTorchCheckpointAsPyTorchDoes() throws IOException, InterruptedException {
        Path ck = dir.resolve("torch.safetensors");
        Cli torch = python(SCRIPT.toString(), "write", ck.toString(), "--layers", "64-12-10", "--activation", "sigmoid",
                "--seed", "5", "--train-steps", "30", "--data", data.toString());
        assertEquals(0, torch.exitCode(), torch::toString);

        Cli ours = Cli.run("eval", "--checkpoint", ck.toString(), "--data", data.toString());
        assertEquals(0, ours.exitCode(), ours::toString);
        assertTrue(ours.out().contains("Sequential(Linear(64, 12), Sigmoid(), Linear(12, 10))"), ours::toString);
        assertEquals(result(torch), result(ours), () -> torch + "\n" + ours);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lenet5", "resnet8"})
    void zooCnnCheckpointsCrossBothWays(String model) throws IOException, InterruptedException {
        Path images = SyntheticMnist.write(dir.resolve("data28"), 256, 200, 28);
        Path ours = dir.resolve(model + "-ours.safetensors");
        Cli trained = Cli.run("train", "--no-progress", "--data", images.toString(), "--model", model, "--epochs", "1",
                "--batch", "64", "--checkpoint", ours.toString());
        assertEquals(0, trained.exitCode(), trained::toString);
        Cli ourEval = Cli.run("eval", "--checkpoint", ours.toString(), "--data", images.toString());
        Cli torchEval = python(SCRIPT.toString(), "eval", ours.toString(), "--data", images.toString());
        assertEquals(0, torchEval.exitCode(), torchEval::toString);
        assertEquals(result(ourEval), result(torchEval), () -> ourEval + "\n" + torchEval);

        Path theirs = dir.resolve(model + "-torch.safetensors");
        Cli written = python(SCRIPT.toString(), "write", theirs.toString(), "--model", model, "--seed", "3",
                "--train-steps", "5", "--data", images.toString());
        assertEquals(0, written.exitCode(), written::toString);
        Cli read = Cli.run("eval", "--checkpoint", theirs.toString(), "--data", images.toString());
        assertEquals(0, read.exitCode(), read::toString);
        assertEquals(result(written), result(read), () -> written + "\n" + read);
    }

    /**
     * A vit-tiny checkpoint loads into torchvision's VisionTransformer (conv_proj of one channel) with strict=True and
     * gives the same test loss and accuracy there (issue 20; torch_interop.py's eval goes to vit-eval by the metadata).
     */
    @Test
    void vitTinyCheckpointLoadsIntoTorchvisionAndEvaluatesAsWeDo() throws IOException, InterruptedException {
        assumeTrue(python("-c", "import torchvision").exitCode() == 0, PYTHON + " cannot import torchvision");
        Path images = SyntheticMnist.write(dir.resolve("data28"), 256, 200, 28);
        Path ours = dir.resolve("vit-tiny-ours.safetensors");
        Cli trained = Cli.run("train", "--no-progress", "--data", images.toString(), "--model", "vit-tiny", "--epochs", "1",
                "--batch", "64", "--checkpoint", ours.toString());
        assertEquals(0, trained.exitCode(), trained::toString);
        Cli ourEval = Cli.run("eval", "--checkpoint", ours.toString(), "--data", images.toString());
        Cli torchEval = python(SCRIPT.toString(), "eval", ours.toString(), "--data", images.toString());
        assertEquals(0, torchEval.exitCode(), torchEval::toString);
        assertTrue(torchEval.out().contains("VisionTransformer") && torchEval.out().contains("strict=True"), torchEval::toString);
        assertEquals(result(ourEval), result(torchEval), () -> ourEval + "\n" + torchEval);
    }

    /** "loss accuracy" as printed, e.g. "0.2722 92.37". */
    private static String result(Cli run) {
        Matcher m = RESULT.matcher(run.out());
        assertTrue(m.find(), () -> "no test loss and accuracy in\n" + run);
        return m.group(1) + " " + m.group(2);
    }

    /** Runs /usr/bin/python3 with the arguments (also for the other tests that check against PyTorch). */
    static Cli python(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(PYTHON.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        p.getOutputStream().close();
        // Small outputs: reading them one after the other cannot fill a pipe and block the script.
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Cli(p.exitValue(), out, err);
    }
}
