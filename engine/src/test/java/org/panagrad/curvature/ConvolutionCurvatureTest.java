package org.panagrad.curvature;

import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Conv2d;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Linear;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.testing.Reference;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The structured curvature methods on a small CNN (stride, padding, dilation, a conv without bias, max pooling):
 * per-sample gradients, their norms, the diagonals and DP-SGD's clipped sum against batch-of-one float64
 * gradients and the explicit GGN.
 */
class ConvolutionCurvatureTest {

    @Test
    void perSampleGradientsEqualTheGradientsOfBatchOfOneGraphs() {
        SmallCnn m = new SmallCnn(3, 5);
        PerSampleGradients psg = PerSampleGradients.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, true);
        PerSampleGradients light = PerSampleGradients.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, false);
        m.feed(psg.program());
        m.feed(light.program());
        psg.run();
        light.run();
        float[] g = new float[m.size], norms = new float[m.batch], lightNorms = new float[m.batch];
        psg.norms(norms);
        light.norms(lightNorms);
        for (int n = 0; n < m.batch; n++) {
            double[] expected = m.sampleGradient(n);
            psg.sampleGradient(n, g);
            Reference.assertClose("sample " + n, expected, Reference.toDouble(g), 1e-4, 1e-5);
            double norm = Math.sqrt(Reference.dot(expected, expected));
            assertEquals(norm, norms[n], 1e-4 * (1 + norm), "norm of sample " + n);
            assertEquals(norm, lightNorms[n], 1e-4 * (1 + norm), "norm of sample " + n + " without materializing");
        }
    }

    @Test
    void diagonalsEqualTheExplicitOnes() {
        SmallCnn m = new SmallCnn(5, 4);
        RealMatrix ggn = m.explicitGgn();
        double[] fisher = new double[m.size];
        for (int n = 0; n < m.batch; n++) {
            double[] s = m.sampleGradient(n);
            for (int i = 0; i < m.size; i++) fisher[i] += s[i] * s[i] / m.batch;
        }
        double[] exact = new double[m.size];
        for (int i = 0; i < m.size; i++) exact[i] = ggn.getEntry(i, i);
        Reference.assertClose("GGN diagonal", exact, diagonal(m, CurvatureDiagonal.Kind.GGN), 1e-4, 1e-6);
        Reference.assertClose("empirical Fisher diagonal", fisher, diagonal(m, CurvatureDiagonal.Kind.EMPIRICAL_FISHER), 1e-4, 1e-6);
    }

    private static double[] diagonal(SmallCnn m, CurvatureDiagonal.Kind kind) {
        CurvatureDiagonal d = CurvatureDiagonal.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, kind,
                CurvatureDiagonal.Settings.DEFAULT);
        m.feed(d.program());
        float[] out = new float[m.size];
        d.compute(out);
        return Reference.toDouble(out);
    }

    @Test
    void privateGradientsClipEachSample() {
        SmallCnn m = new SmallCnn(7, 6);
        double[][] samples = new double[m.batch][];
        double[] norms = new double[m.batch];
        for (int n = 0; n < m.batch; n++) {
            samples[n] = m.sampleGradient(n);
            norms[n] = Math.sqrt(Reference.dot(samples[n], samples[n]));
        }
        double[] sorted = norms.clone();
        java.util.Arrays.sort(sorted);
        double clip = sorted[m.batch / 2];
        double[] expected = new double[m.size];
        for (int n = 0; n < m.batch; n++) {
            double factor = Math.min(1, clip / (norms[n] + 1e-6));
            for (int i = 0; i < m.size; i++) expected[i] += factor * samples[n][i] / m.batch;
        }
        PrivateGradients pg = PrivateGradients.build(m.loss, m.pass.layerCalls(), m.params, clip, 0, 1);
        ParameterStore store = m.store();
        Program p = Compiler.compile(store, new ArrayList<>(pg.gradients()));
        m.feed(p);
        pg.drawNoise(p);
        p.run();
        float[] got = new float[m.size];
        int off = 0;
        for (Node g : pg.gradients()) {
            p.readInto(g, got, off);
            off += g.shape().numel();
        }
        Reference.assertClose("clipped mean", expected, Reference.toDouble(got), 1e-4, 1e-6);
    }

    @Test
    void aGroupedConvolutionIsNamed() {
        Graph g = new Graph();
        Forward pass = Forward.eval();
        Conv2d grouped = Conv2d.create(g, "features.0", 4, 4, 3, 1, 1, 1, 2, true);
        Linear fc = Linear.create(g, "fc", 4 * 5 * 5, 3);
        Node x = g.input("x", 2, 4, 5, 5);
        Node loss = Ops.crossEntropy(fc.forward(Ops.flatten(grouped.forward(x, pass), 1), pass), g.labels("y", 2, 3));
        List<Node> params = List.of(grouped.weight(), grouped.bias(), fc.weight(), fc.bias());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PerSampleGradients.compile(new ParameterStore(), loss, pass.layerCalls(), params, false));
        assertTrue(e.getMessage().contains("per-sample gradients does not support layer 'features.0' (Conv2d(4, 4, kernel_size=(3, 3)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("groups=2"), e.getMessage());
    }
}
