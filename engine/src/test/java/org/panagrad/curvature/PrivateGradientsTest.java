package org.panagrad.curvature;

import org.junit.jupiter.api.Test;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Sgd;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SteadyState;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DP-SGD's clipped, noised gradient against per-sample gradients from batch-of-one graphs, clipped by hand. */
class PrivateGradientsTest {

    private static double[] clippedMean(SmallMlp m, double clip) {
        double[] sum = new double[m.size];
        for (int n = 0; n < m.batch; n++) {
            double[] g = m.sampleGradient(n);
            double factor = Math.min(1, clip / (Math.sqrt(Reference.dot(g, g)) + 1e-6));
            for (int i = 0; i < m.size; i++) sum[i] += factor * g[i] / m.batch;
        }
        return sum;
    }

    private static float[] run(SmallMlp m, PrivateGradients pg, ParameterStore store) {
        List<Node> outputs = new ArrayList<>(pg.gradients());
        Program p = Compiler.compile(store, outputs);
        m.feed(p);
        pg.drawNoise(p);
        p.run();
        float[] flat = new float[m.size];
        int off = 0;
        for (Node g : pg.gradients()) {
            p.readInto(g, flat, off);
            off += g.shape().numel();
        }
        return flat;
    }

    @Test
    void withoutNoiseItIsTheMeanOfTheClippedSampleGradients() {
        SmallMlp m = new SmallMlp(Activation.TANH, false, 41, 8, 5, 6, 3);
        // A clipping norm near the median per-sample norm clips about half of them.
        double[] norms = new double[m.batch];
        for (int n = 0; n < m.batch; n++) norms[n] = Math.sqrt(Reference.dot(m.sampleGradient(n), m.sampleGradient(n)));
        double[] sorted = norms.clone();
        java.util.Arrays.sort(sorted);
        double clip = sorted[m.batch / 2];
        PrivateGradients pg = PrivateGradients.build(m.loss, m.pass.layerCalls(), m.params, clip, 0, 1);
        Reference.assertClose("clipped mean", clippedMean(m, clip), Reference.toDouble(run(m, pg, m.store())), 1e-4, 1e-6);
        // A clipping norm above every sample's is plain SGD's gradient.
        PrivateGradients loose = PrivateGradients.build(m.loss, m.pass.layerCalls(), m.params, 10 * sorted[m.batch - 1], 0, 1);
        Reference.assertClose("no clipping", m.batchGradient(), Reference.toDouble(run(m, loose, m.store())), 1e-4, 1e-6);
    }

    @Test
    void theNoiseHasStandardDeviationSigmaCOverTheBatch() {
        SmallMlp m = new SmallMlp(Activation.RELU, false, 43, 16, 30, 20, 10);
        double clip = 0.5, sigma = 1.3;
        PrivateGradients pg = PrivateGradients.build(m.loss, m.pass.layerCalls(), m.params, clip, sigma, 5);
        float[] noisy = run(m, pg, m.store());
        double[] clean = clippedMean(m, clip);
        double sum = 0, squares = 0;
        for (int i = 0; i < m.size; i++) {
            double e = noisy[i] - clean[i];
            sum += e;
            squares += e * e;
        }
        double sd = Math.sqrt(squares / m.size), expected = sigma * clip / m.batch;
        // 1,000+ draws: the sample standard deviation is within 10% and the mean within 5 standard errors of 0.
        assertEquals(expected, sd, 0.1 * expected);
        assertEquals(0, sum / m.size, 5 * expected / Math.sqrt(m.size));
    }

    @Test
    void aPrivateStepUpdatesWithoutAllocating() {
        SmallMlp m = new SmallMlp(Activation.RELU, false, 47, 32, 20, 16, 10);
        ParameterStore store = m.store();
        PrivateTrainingStep step = PrivateTrainingStep.compile(store, m.loss, m.pass.layerCalls(), m.params,
                Sgd.plain(LearningRateSchedule.constant(0.01)), 1.0, 1.1, 3);
        m.feed(step.program());
        float before = step.run();
        for (int i = 0; i < 50; i++) step.run();
        float after = step.run();
        assertTrue(after < before, after + " vs " + before);
        assertEquals(0, SteadyState.allocatedBytes(step::run, 50));
    }
}
