package org.panagrad.curvature;

import org.junit.jupiter.api.Test;
import org.panagrad.nn.Activation;
import org.panagrad.testing.Reference;

/** The gradient variance against the variance of the batch-of-one gradients, written out. */
class GradientVarianceTest {
    @Test
    void equalsTheVarianceOfTheSampleGradients() {
        SmallMlp m = new SmallMlp(Activation.TANH, false, 13, 9, 5, 4, 3);
        double[] mean = new double[m.size], second = new double[m.size];
        for (int n = 0; n < m.batch; n++) {
            double[] g = m.sampleGradient(n);
            for (int i = 0; i < m.size; i++) {
                mean[i] += g[i] / m.batch;
                second[i] += g[i] * g[i] / m.batch;
            }
        }
        double[] variance = new double[m.size];
        for (int i = 0; i < m.size; i++) variance[i] = second[i] - mean[i] * mean[i];
        GradientVariance v = GradientVariance.compile(m.store(), m.loss, m.pass.layerCalls(), m.params);
        m.feed(v.program());
        float[] out = new float[v.dimension()], grad = new float[v.dimension()];
        v.compute(out);
        v.gradient(grad);
        Reference.assertClose("variance", variance, Reference.toDouble(out), 1e-3, 1e-6);
        Reference.assertClose("gradient", mean, Reference.toDouble(grad), 1e-4, 1e-6);
    }
}
