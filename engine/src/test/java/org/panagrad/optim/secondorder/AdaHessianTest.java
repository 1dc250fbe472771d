package org.panagrad.optim.secondorder;

import org.junit.jupiter.api.Test;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SmallModel;
import org.panagrad.testing.SteadyState;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdaHessianTest {

    @Test
    void theHutchinsonDiagonalConvergesToTheTrueDiagonalAsSamplesGrow() {
        SmallModel m = new SmallModel(Activation.TANH, false, 21, 6, 3, 4, 3);
        double[][] h = m.explicitHessian();
        ParameterStore store = new ParameterStore();
        for (Node p : m.params) store.set(p, Reference.toFloat(m.feed.get(p)));
        CurvatureProduct product = CurvatureProduct.compile(store, m.loss, List.of(m.params),
                CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE);
        org.panagrad.compiler.CompiledProgramTestAccess.feed(product.program(), m);
        HutchinsonDiagonal hutchinson = new HutchinsonDiagonal(product, 5);

        float[] estimate = new float[m.size];
        double previousError = Double.POSITIVE_INFINITY;
        for (int samples : new int[] {16, 256, 4096, 65536}) {
            hutchinson.estimate(samples, estimate);
            double error = 0;
            for (int i = 0; i < m.size; i++) {
                // Entry i of z * Hz has variance sum_{j != i} H_ij^2: its mean is within 5 standard errors.
                double variance = 0;
                for (int j = 0; j < m.size; j++) if (j != i) variance += h[i][j] * h[i][j];
                double tolerance = 5 * Math.sqrt(variance / samples) + 1e-5 * (1 + Math.abs(h[i][i]));
                double diff = Math.abs(estimate[i] - h[i][i]);
                assertTrue(diff <= tolerance, "entry " + i + " with " + samples + " samples: estimate " + estimate[i]
                        + ", true diagonal " + h[i][i] + ", tolerance " + tolerance);
                error += diff * diff;
            }
            error = Math.sqrt(error);
            assertTrue(error < previousError, samples + " samples: error " + error + " did not shrink from " + previousError);
            previousError = error;
        }
        double diagNorm = 0;
        for (int i = 0; i < m.size; i++) diagNorm += h[i][i] * h[i][i];
        assertTrue(previousError < 0.02 * Math.sqrt(diagNorm), "relative error with 65536 samples "
                + previousError / Math.sqrt(diagNorm));
    }

    @Test
    void stepsFollowTheUpdateRuleWithSpatialAveragingBiasCorrectionAndWeightDecay() {
        Problems p = Problems.mlp(7, 12, 12, 4, 6, 3);
        AdaHessian.Options options = AdaHessian.Options.defaults().withLr(0.05).withWeightDecay(0.01)
                .withSpatialBlock(3).withSeed(99);
        AdaHessian opt = AdaHessian.create(p.store, p.objective(), options);
        // The same Rademacher probes (restarted from the seed and the step, as AdaHessian does) on a second
        // product (the other Hessian mode) over the same store and data.
        CurvatureProduct product = CurvatureProduct.compile(p.store, p.loss, p.params,
                CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE);
        p.feed(product.program());
        HutchinsonDiagonal probes = new HutchinsonDiagonal(product, 99);
        int n = probes.dimension();
        double[] m = new double[n], v = new double[n];
        float[] sample = new float[n], grad = new float[n];
        for (int t = 1; t <= 3; t++) {
            probes.restartProbes(SplitMix64.streamSeed(99, t - 1));
            probes.sample(sample);
            product.gradient(grad);
            float[] theta = p.flatParameters();
            double[] d = new double[n];
            for (int i = 0; i < n; i++) d[i] = Math.abs(sample[i]);
            // Blocks of 3 along the rows of both weights: W0 [4x6] at 0..23, W1 [6x3] at 30..47; biases alone.
            for (int[] range : new int[][] {{0, 24}, {30, 48}}) {
                for (int i = range[0]; i < range[1]; i += 3) d[i] = d[i + 1] = d[i + 2] = (d[i] + d[i + 1] + d[i + 2]) / 3;
            }
            double[] expected = new double[n];
            for (int i = 0; i < n; i++) {
                m[i] = 0.9 * m[i] + 0.1 * grad[i];
                v[i] = 0.999 * v[i] + 0.001 * d[i] * d[i];
                double mHat = m[i] / (1 - Math.pow(0.9, t)), vHat = v[i] / (1 - Math.pow(0.999, t));
                expected[i] = theta[i] - 0.05 * (mHat / (Math.sqrt(vHat) + 1e-4) + 0.01 * theta[i]);
            }
            float loss = opt.step(p.feeder);
            assertEquals(product.loss(), loss, 1e-6, "loss at step " + t);
            Reference.assertClose("parameters after step " + t, expected, Reference.toDouble(p.flatParameters()), 1e-4, 1e-6);
        }
    }

    @Test
    void trainsAnMlpAndAStepAllocatesNothing() {
        Problems p = Problems.mlp(8, 64, 64, 6, 12, 3);
        AdaHessian opt = AdaHessian.create(p.store, p.objective(), AdaHessian.Options.defaults().withLr(0.05));
        float first = opt.step(p.feeder);
        float last = first;
        for (int i = 0; i < 3000; i++) last = opt.step(p.feeder);
        assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);

        long allocated = SteadyState.allocatedBytes(() -> opt.step(p.feeder), 100);
        assertEquals(0, allocated, "100 AdaHessian steps allocated " + allocated + " bytes");
    }

    @Test
    void rejectsWhatItCannotDo() {
        Problems p = Problems.mlp(9, 8, 4, 6, 5, 3);
        assertThrows(IllegalArgumentException.class,
                () -> AdaHessian.create(p.store, p.objectiveWithSubBatchCurvature(), AdaHessian.Options.defaults()));
        assertThrows(IllegalArgumentException.class,
                () -> AdaHessian.create(p.store, p.objective(), AdaHessian.Options.defaults().withSpatialBlock(4)));
        assertThrows(IllegalArgumentException.class, () -> new AdaHessian.Options(0.1, 0.9, 0.999, 1e-4, 0, 1, 1,
                CurvatureProduct.Kind.GAUSS_NEWTON, 0));
    }
}
