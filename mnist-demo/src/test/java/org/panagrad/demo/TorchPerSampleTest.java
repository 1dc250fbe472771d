package org.panagrad.demo;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Per-sample gradients against PyTorch's own: scripts/torch_per_sample.py computes functorch's
 * vmap(grad(...)) on the checkpoint and images the curvature command used, and compares every sample's
 * gradient of every parameter and every norm. Skipped where /usr/bin/python3 has no torch.
 */
class TorchPerSampleTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SCRIPT = Path.of("scripts", "torch_per_sample.py").toAbsolutePath();

    @TempDir
    Path dir;

    @BeforeAll
    static void torchIsInstalled() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(PYTHON), PYTHON + " is missing");
        assumeTrue(TorchInteropTest.python("-c", "import torch, numpy, functorch").exitCode() == 0, PYTHON + " cannot import torch and functorch");
        assertTrue(Files.exists(SCRIPT), SCRIPT + " is missing");
    }

    @Test
    void perSampleGradientsEqualFunctorchsVmapOfGrad() throws IOException, InterruptedException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 300, 100);
        Path ck = dir.resolve("model.safetensors"), out = dir.resolve("per-sample.safetensors");
        Cli trained = Cli.train(data, "--activation", "tanh", "--epochs", "1", "--checkpoint", ck.toString());
        assertEquals(0, trained.exitCode(), trained::toString);
        assertPerSampleGradientsEqualFunctorchs(data, ck, out, 40, 16);
    }

    /** vit-tiny: LayerNorm, attention, the class token and the positional embedding take the generic path. */
    @Test
    void visionTransformerEqualsFunctorchsVmapOfGrad() throws IOException, InterruptedException {
        Path data = SyntheticMnist.write(dir.resolve("vit-data"), 200, 50, 28);
        Path ck = dir.resolve("vit.safetensors"), out = dir.resolve("vit-per-sample.safetensors");
        Cli trained = Cli.train(data, "--model", "vit-tiny", "--epochs", "1", "--batch", "50", "--checkpoint", ck.toString());
        assertEquals(0, trained.exitCode(), trained::toString);
        assertPerSampleGradientsEqualFunctorchs(data, ck, out, 12, 6);
    }

    /** Our `curvature` writes the per-sample gradients of the checkpoint's first samples; the script compares them. */
    private static void assertPerSampleGradientsEqualFunctorchs(Path data, Path ck, Path out, int samples, int batch)
            throws IOException, InterruptedException {
        Cli ours = Cli.run("curvature", "--checkpoint", ck.toString(), "--data", data.toString(), "--samples", String.valueOf(samples),
                "--batch", String.valueOf(batch), "--what", "grad-norms,per-sample-grads", "--out", out.toString());
        assertEquals(0, ours.exitCode(), ours::toString);
        Cli torch = TorchInteropTest.python(SCRIPT.toString(), ck.toString(), out.toString(), "--data", data.toString(), "--samples", String.valueOf(samples));
        assertEquals(0, torch.exitCode(), torch::toString);
        assertTrue(torch.out().contains("OK: per-sample gradients of " + samples + " images"), torch::toString);
    }
}
