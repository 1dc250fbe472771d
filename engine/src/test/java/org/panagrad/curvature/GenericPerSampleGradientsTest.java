package org.panagrad.curvature;

import org.junit.jupiter.api.Test;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.runtime.Program;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SteadyState;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generic per-sample path (LayerNorm, eval-mode batch norm, embedding, attention, class token, positional
 * embedding) beside the structured one (Conv2d, Linear), in one program, against batch-of-one float64 graphs;
 * and the per-sample consumers built on it.
 */
class GenericPerSampleGradientsTest {
    private static final int BATCH = 5;

    @Test
    void everyLayerEqualsTheGradientsOfBatchOfOneGraphs() {
        SmallTransformer m = new SmallTransformer(BATCH, false, 3);
        PerSampleGradients psg = PerSampleGradients.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, true);
        PerSampleGradients light = PerSampleGradients.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, false);
        m.feed(psg.program());
        m.feed(light.program());
        psg.run();
        light.run();
        float[] g = new float[m.size], norms = new float[BATCH], lightNorms = new float[BATCH];
        psg.norms(norms);
        light.norms(lightNorms);
        for (int n = 0; n < BATCH; n++) {
            double[] expected = m.sampleGradient(n);
            psg.sampleGradient(n, g);
            Reference.assertClose("sample " + n, expected, Reference.toDouble(g), 2e-4, 2e-5);
            double norm = Math.sqrt(Reference.dot(expected, expected));
            assertEquals(norm, norms[n], 1e-4 * (1 + norm), "norm of sample " + n);
            assertEquals(norm, lightNorms[n], 1e-4 * (1 + norm), "norm of sample " + n + " without materializing");
            assertTrue(norm > 1e-3, "sample " + n + " has a gradient to compare");
        }
    }

    @Test
    void trainingModeBatchNormIsRefusedByName() {
        SmallTransformer m = new SmallTransformer(BATCH, true, 3);
        for (String method : new String[] {"per-sample gradients", "gradient variance", "DP-SGD", "empirical Fisher diagonal"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                switch (method) {
                    case "per-sample gradients" -> PerSampleGradients.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, false);
                    case "gradient variance" -> GradientVariance.compile(m.store(), m.loss, m.pass.layerCalls(), m.params);
                    case "DP-SGD" -> PrivateGradients.build(m.loss, m.pass.layerCalls(), m.params, 1, 1, 0);
                    default -> CurvatureDiagonal.compile(m.store(), m.loss, m.pass.layerCalls(), m.params,
                            CurvatureDiagonal.Kind.EMPIRICAL_FISHER, CurvatureDiagonal.Settings.DEFAULT);
                }
            });
            assertTrue(e.getMessage().startsWith(method + " does not support layer 'bn' (BatchNorm2d(4, eps=1e-05, momentum=0.1,"
                    + " affine=True, track_running_stats=True)) in training mode: its batch statistics couple the samples"),
                    e.getMessage());
        }
    }

    /** Centering over the batch couples the samples as batch norm's statistics do: refused, naming the node. */
    @Test
    void aReductionOverTheSamplesIsRefused() {
        org.panagrad.graph.Graph g = new org.panagrad.graph.Graph();
        org.panagrad.nn.Forward pass = org.panagrad.nn.Forward.eval();
        org.panagrad.nn.Linear fc = org.panagrad.nn.Linear.create(g, "fc", 3, 2);
        Node h = fc.forward(g.input("x", 4, 3), pass);
        Node centered = org.panagrad.ops.Ops.sub(h, org.panagrad.ops.Ops.mean(h, 0, true));
        Node loss = org.panagrad.ops.Ops.crossEntropy(centered, g.labels("y", 4, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PerSampleGradients.compile(
                new org.panagrad.runtime.ParameterStore(), loss, pass.layerCalls(), java.util.List.of(fc.weight(), fc.bias()), false));
        assertTrue(e.getMessage().startsWith("per-sample gradients: sum#") && e.getMessage().contains("over its first axis, the samples,"
                + " before the loss: the samples interact"), e.getMessage());
    }

    @Test
    void theEmpiricalFisherAndTheVarianceAreMomentsOfThePerSampleGradients() {
        SmallTransformer m = new SmallTransformer(BATCH, false, 5);
        double[] second = new double[m.size], mean = new double[m.size];
        for (int n = 0; n < BATCH; n++) {
            double[] g = m.sampleGradient(n);
            for (int i = 0; i < m.size; i++) {
                second[i] += g[i] * g[i] / BATCH;
                mean[i] += g[i] / BATCH;
            }
        }
        CurvatureDiagonal fisher = CurvatureDiagonal.compile(m.store(), m.loss, m.pass.layerCalls(), m.params,
                CurvatureDiagonal.Kind.EMPIRICAL_FISHER, CurvatureDiagonal.Settings.DEFAULT);
        m.feed(fisher.program());
        float[] out = new float[m.size];
        fisher.compute(out);
        Reference.assertClose("empirical Fisher diagonal", second, Reference.toDouble(out), 2e-4, 1e-6);

        GradientVariance variance = GradientVariance.compile(m.store(), m.loss, m.pass.layerCalls(), m.params);
        m.feed(variance.program());
        variance.compute(out);
        double[] expected = new double[m.size];
        for (int i = 0; i < m.size; i++) expected[i] = second[i] - mean[i] * mean[i];
        Reference.assertClose("gradient variance", expected, Reference.toDouble(out), 2e-4, 1e-6);
    }

    @Test
    void dpSgdClipsEachSampleOfEveryLayer() {
        SmallTransformer m = new SmallTransformer(BATCH, false, 7);
        double clip = 0.05;
        double[] expected = new double[m.size];
        for (int n = 0; n < BATCH; n++) {
            double[] g = m.sampleGradient(n);
            double c = Math.min(1, clip / (Math.sqrt(Reference.dot(g, g)) + 1e-6));
            for (int i = 0; i < m.size; i++) expected[i] += g[i] * c / BATCH;
        }
        PrivateGradients dp = PrivateGradients.build(m.loss, m.pass.layerCalls(), m.params, clip, 0, 1);
        Program program = Compiler.compile(m.store(), dp.gradients());
        m.feed(program);
        dp.drawNoise(program);
        program.run();
        double[] got = new double[m.size];
        int off = 0;
        for (Node g : dp.gradients()) {
            float[] v = new float[g.shape().numel()];
            program.read(g, v);
            for (int i = 0; i < v.length; i++) got[off + i] = v[i];
            off += v.length;
        }
        Reference.assertClose("clipped mean", expected, got, 2e-4, 1e-6);
    }

    @Test
    void runsWithoutAllocating() {
        SmallTransformer m = new SmallTransformer(BATCH, false, 9);
        PerSampleGradients psg = PerSampleGradients.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, true);
        m.feed(psg.program());
        float[] norms = new float[BATCH], g = new float[m.size];
        assertEquals(0, SteadyState.allocatedBytes(() -> {
            psg.run();
            psg.norms(norms);
            psg.sampleGradient(2, g);
        }, 50));
    }
}
