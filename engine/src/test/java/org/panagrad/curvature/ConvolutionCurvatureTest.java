package org.panagrad.curvature;

import org.apache.commons.math3.linear.RealMatrix;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.testing.Reference;

import java.util.ArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The structured curvature methods on a small CNN (stride, padding, dilation, a conv without bias, max pooling),
 * with one group and with two:
 * per-sample gradients, their norms, the diagonals and DP-SGD's clipped sum against batch-of-one float64
 * gradients and the explicit GGN.
 */
class ConvolutionCurvatureTest {

    @org.junit.jupiter.params.ParameterizedTest(name = "grouped {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void perSampleGradientsEqualTheGradientsOfBatchOfOneGraphs(boolean grouped) {
        SmallCnn m = new SmallCnn(3, 5, grouped);
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

    @org.junit.jupiter.params.ParameterizedTest(name = "grouped {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void diagonalsEqualTheExplicitOnes(boolean grouped) {
        SmallCnn m = new SmallCnn(5, 4, grouped);
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

    @org.junit.jupiter.params.ParameterizedTest(name = "grouped {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void privateGradientsClipEachSample(boolean grouped) {
        SmallCnn m = new SmallCnn(7, 6, grouped);
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
}
