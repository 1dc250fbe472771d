package org.panagrad.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.nn.Activation;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParameterFilesTest {
    @Test
    void parametersRoundTripAndAnotherModelIsRefused(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.mlp(Activation.RELU, 12, 7, 3);
        float[] theta = new ShardEvaluator(spec, 8).initialParameters(4);
        Path file = dir.resolve("p.safetensors");
        ParameterFiles.save(file, spec, theta, new float[0]);
        assertArrayEquals(theta, ParameterFiles.load(file, spec));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParameterFiles.load(file, ModelSpec.mlp(Activation.RELU, 12, 8, 3)));
        assertTrue(e.getMessage().contains("mlp(activation=relu, widths=12-7-3)") && e.getMessage().contains("widths=12-8-3"),
                e.getMessage());
    }

    @Test
    void runningStatisticsTravelWithTheParameters(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.zoo("resnet8");
        ShardEvaluator e = new ShardEvaluator(spec, 1);
        float[] theta = e.initialParameters(2), buffers = TestSpark.gaussian(e.bufferDimension(), 3);
        Path file = dir.resolve("r.safetensors");
        ParameterFiles.save(file, spec, theta, buffers);
        assertArrayEquals(theta, ParameterFiles.load(file, spec));
        assertArrayEquals(buffers, ParameterFiles.loadBuffers(file, spec));
    }

    @Test
    void anUnknownZooModelIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Fingerprint.of(new ModelSpec("resnet", java.util.Map.of("depth", "18"))));
        assertTrue(e.getMessage().contains("unknown model 'resnet'") && e.getMessage().contains("[mlp, lenet5, resnet8, vit-tiny]"), e.getMessage());
    }

    @Test
    void samplesDoNotDependOnThePartitioning() {
        Selection s = Selection.sample(0.3, 9);
        int[] whole = s.rows(0, 1000);
        int[] first = s.rows(0, 400), second = s.rows(400, 600);
        assertTrue(whole.length == first.length + second.length);
        for (int i = 0; i < second.length; i++) assertTrue(whole[first.length + i] == second[i] + 400);
        assertTrue(Math.abs(whole.length - 300) < 50, whole.length + " of 1000 sampled at 0.3");
    }
}
