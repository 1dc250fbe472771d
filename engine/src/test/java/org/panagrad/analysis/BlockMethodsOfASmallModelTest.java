package org.panagrad.analysis;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.testing.SmallModel;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Block power iteration, block Lanczos quadrature and Hutchinson with k probes per block, on the block Hessian
 * product of a small MLP, against Commons Math's eigen-decomposition of its explicit float64 Hessian.
 */
class BlockMethodsOfASmallModelTest {
    private static final int K = 4;

    private final SmallModel m = new SmallModel(Activation.TANH, false, 7, 8, 4, 6, 3);
    private final ExplicitOperator reference;
    private final BlockCurvatureProduct hessian;
    private final double scale;

    BlockMethodsOfASmallModelTest() {
        // The compiled program sees float parameters and inputs: let the reference see the same values.
        for (Map.Entry<Node, double[]> e : m.feed.entrySet()) {
            double[] v = e.getValue();
            for (int i = 0; i < v.length; i++) v[i] = (float) v[i];
        }
        reference = new ExplicitOperator(m.explicitHessian());
        hessian = BlockCurvatureProductTest.compile(m, CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE, K);
        scale = Math.abs(reference.byMagnitude()[0]);
    }

    @Test
    void blockPowerIterationFindsTheTopEigenpairs() {
        PowerIteration.Eigenpairs top = BlockPowerIteration.topEigenpairs(hessian.atCurrentPoint(),
                new PowerIteration.Settings(3, 2000, 1e-7, 1));
        double[] byMagnitude = reference.byMagnitude();
        for (int i = 0; i < 3; i++) {
            double lambda = top.eigenvalues().eigenvalues()[i];
            assertEquals(byMagnitude[i], lambda, 1e-4 * scale, "eigenvalue " + i + " of " + Arrays.toString(byMagnitude));
            assertTrue(top.eigenvalues().converged()[i], "converged " + i);
            assertTrue(top.eigenvalues().residualNorms()[i] < 1e-2 * scale, "residual " + top.eigenvalues().residualNorms()[i]);
            assertTrue(reference.alignment(top.eigenvectors()[i], lambda) > 0.999, "eigenvector " + i);
        }
        assertEquals(K * (long) top.eigenvalues().iterations()[0], top.eigenvalues().products());
        assertThrows(IllegalArgumentException.class,
                () -> BlockPowerIteration.topEigenpairs(hessian, new PowerIteration.Settings(K + 1, 10, 1e-3, 1)));
    }

    @Test
    void hutchinsonWithKProbesPerBlockEqualsTheSingleVectorEstimate() {
        CurvatureProduct single = HessianSpectrumOfASmallModelTest.compile(m, CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE);
        for (HutchinsonTrace.Settings settings : new HutchinsonTrace.Settings[] {
                new HutchinsonTrace.Settings(3001, 0, HutchinsonTrace.StoppingRule.MEAN_CHANGE, 2),
                new HutchinsonTrace.Settings(3000, 0.05, HutchinsonTrace.StoppingRule.STANDARD_ERROR, 5)}) {
            TraceEstimate one = HutchinsonTrace.estimate(single.atCurrentPoint(), settings);
            TraceEstimate block = HutchinsonTrace.estimate(hessian.atCurrentPoint(), settings);
            assertEquals(one.samples(), block.samples());
            assertArrayEquals(one.sampleValues(), block.sampleValues(), 1e-5 * scale * m.size);
            assertEquals(one.mean(), block.mean(), 1e-5 * scale * m.size);
        }
        TraceEstimate trace = HutchinsonTrace.estimate(hessian.atCurrentPoint(),
                new HutchinsonTrace.Settings(3000, 0, HutchinsonTrace.StoppingRule.MEAN_CHANGE, 2));
        assertTrue(Math.abs(trace.mean() - reference.trace()) < 4 * trace.standardError(),
                trace.mean() + " vs " + reference.trace() + " +- " + trace.standardError());
    }

    @Test
    void blockLanczosOverTheWholeSpaceHasTheEigenvaluesAsNodes() {
        SpectralQuadrature q = BlockLanczosQuadrature.run(hessian.atCurrentPoint(),
                new StochasticLanczosQuadrature.Settings(1, m.size, 3));
        assertEquals(m.size / K * K, q.steps()[0]);
        for (double node : q.nodes()[0]) {
            assertTrue(distance(node, reference.eigenvalues) < 1e-4 * scale, "node " + node);
        }
        assertEquals(reference.eigenvalues[0], q.minNode(), 1e-4 * scale);
        assertEquals(reference.eigenvalues[m.size - 1], q.maxNode(), 1e-4 * scale);
        assertEquals(1, Arrays.stream(q.weights()[0]).sum(), 1e-6); // the float basis is orthonormal to ~1e-7
    }

    /** On the whole space the rule is exact: its moments are the probes' own z^T A^p z / n, averaged. */
    @Test
    void blockLanczosMomentsAreTheProbesQuadraticForms() {
        int n = 12;
        ExplicitOperator a = ExplicitOperator.withSpectrum(4, -3, -1, 0, 0.5, 1, 2, 2, 3, 5, 8, 9, 20);
        long seed = 11;
        SpectralQuadrature q = BlockLanczosQuadrature.run(BlockLinearOperator.columnByColumn(a, 3),
                new StochasticLanczosQuadrature.Settings(1, n, seed));
        SplittableRandom rnd = new SplittableRandom(seed);
        double first = 0, second = 0;
        for (int p = 0; p < 3; p++) {
            float[] z = new float[n];
            Vectors.fillRademacher(rnd, z);
            double[] az = new double[n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) az[i] += a.matrix[i][j] * z[j];
            for (int i = 0; i < n; i++) {
                first += z[i] * az[i];
                second += az[i] * az[i];
            }
        }
        assertEquals(first / (3 * n), q.moment(1), 1e-4 * 20);
        assertEquals(second / (3 * n), q.moment(2), 1e-4 * 400);
    }

    private static double distance(double x, double[] values) {
        double d = Double.POSITIVE_INFINITY;
        for (double v : values) d = Math.min(d, Math.abs(v - x));
        return d;
    }
}
