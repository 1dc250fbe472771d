package org.panagrad.curvature;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.junit.jupiter.api.Test;
import org.panagrad.analysis.HutchinsonTrace;
import org.panagrad.analysis.PowerIteration;
import org.panagrad.analysis.StochasticLanczosQuadrature;
import org.panagrad.analysis.TraceEstimate;
import org.panagrad.nn.Activation;
import org.panagrad.nn.LayerCall;
import org.panagrad.optim.secondorder.ConjugateGradient;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.curvature.LayerBackprop.Vectors.HESSIAN_FACTOR;
import static org.panagrad.curvature.LayerBackprop.Vectors.SAMPLED;

/** K-FAC, KFLR and EKFAC against the explicit Gauss-Newton matrix of small MLPs (float32 products, double references). */
class KroneckerCurvatureTest {

    @Test
    void kflrIsTheExactGaussNewtonOfOneLinearLayerOnOneExample() {
        SmallClassifier m = new SmallClassifier(3, 1, 5, 4);
        double[][] ggn = m.ggn();
        double[][] kflr = SmallClassifier.explicit(SmallClassifier.kronecker(m.backprop(HESSIAN_FACTOR, "KFLR", true, false), "KFLR"));
        assertTrue(SmallClassifier.frobenius(ggn, kflr) < 1e-5 * SmallClassifier.maxAbs(ggn) * ggn.length,
                "distance " + SmallClassifier.frobenius(ggn, kflr));
    }

    @Test
    void kflrBlocksAreTheExactGaussNewtonBlocksOfADeepNetworkOnOneExample() {
        SmallClassifier m = new SmallClassifier(4, 1, 6, 5, 4, 3);
        double[][] blocks = m.layerBlocks(m.ggn());
        double[][] kflr = SmallClassifier.explicit(SmallClassifier.kronecker(m.backprop(HESSIAN_FACTOR, "KFLR", true, false), "KFLR"));
        assertTrue(SmallClassifier.frobenius(blocks, kflr) < 1e-5 * SmallClassifier.maxAbs(blocks) * blocks.length);
    }

    @Test
    void ekfacRefitIsCloserToTheExactBlocksThanKflr() {
        SmallClassifier m = new SmallClassifier(5, 12, 6, 5, 3);
        double[][] blocks = m.layerBlocks(m.ggn());
        LayerBackprop exact = m.backprop(HESSIAN_FACTOR, "EKFAC", true, true);
        KroneckerCurvature kflr = SmallClassifier.kronecker(exact, "KFLR");
        EigenvalueRefit refit = new EigenvalueRefit(kflr, exact);
        refit.add(m.batch);
        KroneckerCurvature ekfac = refit.result();
        double[][] k = SmallClassifier.explicit(kflr), e = SmallClassifier.explicit(ekfac);
        double dKflr = SmallClassifier.frobenius(blocks, k), dEkfac = SmallClassifier.frobenius(blocks, e);
        assertTrue(dEkfac < dKflr, "EKFAC " + dEkfac + " vs KFLR " + dKflr);
        // The refit is the orthogonal projection onto the operators diagonal in that basis, where KFLR lies too:
        // Pythagoras, |KFLR - GGN|^2 = |EKFAC - GGN|^2 + |KFLR - EKFAC|^2, so the gain is all of |KFLR - EKFAC|.
        double dBetween = SmallClassifier.frobenius(k, e);
        assertTrue(dBetween > 0.01 * dKflr, "the refit changed nothing: " + dBetween);
        assertEquals(dKflr * dKflr, dEkfac * dEkfac + dBetween * dBetween, 1e-3 * dKflr * dKflr);
        // Same eigenbasis, so the refit is the orthogonal projection: the traces agree with the exact blocks'.
        double trace = 0;
        for (int i = 0; i < blocks.length; i++) trace += blocks[i][i];
        assertEquals(trace, ekfac.trace(), 1e-4 * trace);
    }

    @Test
    void theExactDiagonalIsTheGaussNewtonDiagonal() {
        SmallClassifier m = new SmallClassifier(6, 7, 6, 5, 3);
        double[][] ggn = m.ggn();
        CurvatureDiagonal exact = CurvatureDiagonal.gaussNewton(m.store, m.logits, m.layers, "diagonal");
        exact.program().set(m.x, m.images);
        float[] diagonal = new float[exact.dimension()];
        exact.compute(diagonal);
        double[] d = KroneckerCurvature.diagonal("GGN diagonal", m.layers, diagonal).eigenvalues();
        for (int i = 0; i < d.length; i++) assertEquals(ggn[i][i], d[i], 1e-5 + 1e-4 * Math.abs(ggn[i][i]), "entry " + i);
    }

    @Test
    void monteCarloFactorsConvergeToTheExactOnes() {
        SmallClassifier m = new SmallClassifier(7, 4, 5, 4, 3);
        LayerBackprop exact = m.backprop(HESSIAN_FACTOR, "KFLR", true, false);
        exact.run(new SplittableRandom(1));
        KroneckerFactors reference = new KroneckerFactors(exact, "KFLR");
        reference.add(exact, 1);
        LayerBackprop sampled = m.backprop(SAMPLED, "KFAC", true, false);
        KroneckerFactors mc = new KroneckerFactors(sampled, "KFAC");
        SplittableRandom rnd = new SplittableRandom(9);
        double[] errors = new double[3];
        int done = 0;
        int[] checkpoints = {10, 100, 4000};
        for (int k = 0; k < errors.length; k++) {
            while (done < checkpoints[k]) {
                sampled.run(rnd);
                mc.add(sampled, 1);
                done++;
            }
            errors[k] = relativeError(mc.gradientFactor(0), reference.gradientFactor(0));
        }
        // The error of a mean of n samples falls as 1/sqrt(n): 400x the samples, about 20x smaller.
        assertTrue(errors[2] < 0.05, "relative error after 4000 samples " + errors[2]);
        assertTrue(errors[2] < errors[0] / 4, java.util.Arrays.toString(errors));
        // The input factor does not depend on the labels.
        assertTrue(relativeError(mc.inputFactor(1), reference.inputFactor(1)) < 1e-6);
    }

    /**
     * Layers wider than 128 take their factors' Gram products by the packed SYRK (kernels.SymmetricGemm): A = a^T a / B
     * and G = g^T g / B of a 150-140-3 MLP at batch 24 (A_1 151 x 151, G_1 140 x 140, A_2 141 x 141) equal the float64
     * products of the rows the same run read out, and the factors' program allocates nothing in steady state.
     */
    @Test
    void wideFactorsAreTheFloat64GramsOfTheirRowsAndAllocateNothing() {
        SmallClassifier m = new SmallClassifier(12, 24, 150, 140, 3);
        LayerBackprop kfac = m.backprop(SAMPLED, "KFAC", true, true);
        kfac.run(new SplittableRandom(4));
        for (int l = 0; l < 2; l++) {
            int p = kfac.inputSize(l), q = kfac.outputSize(l);
            float[] a = new float[p * p], g = new float[q * q], rows = new float[m.batch * p], grads = new float[m.batch * q];
            kfac.readFactors(l, a, g);
            kfac.readInputs(l, rows);
            kfac.readGradients(l, grads);
            checkGram("A_" + l, rows, m.batch, p, a);
            checkGram("G_" + l, grads, m.batch, q, g);
        }
        LayerBackprop factorsOnly = m.backprop(SAMPLED, "KFAC", true, false);
        SplittableRandom rnd = new SplittableRandom(5);
        assertEquals(0, org.panagrad.testing.SteadyState.allocatedBytes(() -> factorsOnly.run(rnd), 50));
    }

    /**
     * K-FAC's factors of 784-500-10 at batch 128 (A_1 785 x 785, G_1 500 x 500, A_2 501 x 501) allocate nothing in
     * steady state: at these widths the Gram's mirror, by register transposes then, allocated 1.6 to 4.8 MB per run
     * on JDK 17 (session 17, in every JVM of a lone factors loop) while the 150-140-3 model above stayed clean.
     */
    @Test
    void factorsAt784By500By10AllocateNothing() {
        LayerBackprop factorsOnly = new SmallClassifier(12, 128, 784, 500, 10).backprop(SAMPLED, "KFAC", true, false);
        SplittableRandom rnd = new SplittableRandom(5);
        assertEquals(0, org.panagrad.testing.SteadyState.allocatedBytes(() -> factorsOnly.run(rnd), 20));
    }

    /** gram (n x n) against x^T x / rows in float64, x [rows, n]. */
    private static void checkGram(String what, float[] x, int rows, int n, float[] gram) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, size = 0;
                for (int r = 0; r < rows; r++) {
                    s += (double) x[r * n + i] * x[r * n + j];
                    size += Math.abs((double) x[r * n + i] * x[r * n + j]);
                }
                assertEquals(s / rows, gram[i * n + j], 1e-6 * size / rows + 1e-12, what + " at " + i + ", " + j);
            }
        }
    }

    private static double relativeError(double[] a, double[] b) {
        double d = 0, n = 0;
        for (int i = 0; i < a.length; i++) {
            d += (a[i] - b[i]) * (a[i] - b[i]);
            n += b[i] * b[i];
        }
        return Math.sqrt(d / n);
    }

    @Test
    void solveTraceAndLogDeterminantAreThoseOfTheExplicitMatrix() {
        SmallClassifier m = new SmallClassifier(8, 9, 5, 4, 3);
        KroneckerCurvature kfac = SmallClassifier.kronecker(m.backprop(SAMPLED, "KFAC", true, false), "KFAC");
        double[][] matrix = SmallClassifier.explicit(kfac);
        double damping = 1e-2;
        int n = matrix.length;
        double trace = 0;
        for (int i = 0; i < n; i++) trace += matrix[i][i];
        assertEquals(trace, kfac.trace(), 1e-4 * trace);
        double[][] damped = new double[n][];
        for (int i = 0; i < n; i++) {
            damped[i] = matrix[i].clone();
            damped[i][i] += damping;
        }
        EigenDecomposition eig = new EigenDecomposition(new Array2DRowRealMatrix(damped));
        double logDet = 0;
        for (double v : eig.getRealEigenvalues()) logDet += Math.log(v);
        assertEquals(logDet, kfac.logDeterminant(damping), 1e-3 * Math.abs(logDet));
        float[] v = new float[n], x = new float[n], back = new float[n];
        SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        kfac.solve(damping, v, x);
        kfac.apply(x, back);
        for (int i = 0; i < n; i++) assertEquals(v[i], back[i] + damping * x[i], 1e-3 * (1 + Math.abs(v[i])), "entry " + i);
    }

    @Test
    void theGenericSolversRunOnKroneckerOperators() {
        SmallClassifier m = new SmallClassifier(9, 16, 6, 5, 3);
        KroneckerCurvature kflr = SmallClassifier.kronecker(m.backprop(HESSIAN_FACTOR, "KFLR", true, false), "KFLR");
        double[] eigenvalues = kflr.eigenvalues();
        double largest = java.util.Arrays.stream(eigenvalues).max().orElseThrow();
        PowerIteration.Eigenpairs top = PowerIteration.topEigenpairs(kflr, new PowerIteration.Settings(1, 1000, 1e-7, 1));
        assertEquals(largest, top.eigenvalues().eigenvalues()[0], 1e-3 * largest);
        TraceEstimate trace = HutchinsonTrace.estimate(kflr, new HutchinsonTrace.Settings(400, 0, HutchinsonTrace.StoppingRule.MEAN_CHANGE, 3));
        assertTrue(Math.abs(trace.mean() - kflr.trace()) < 4 * trace.standardError() + 1e-6, trace.mean() + " vs " + kflr.trace());
        double maxNode = StochasticLanczosQuadrature.run(kflr, new StochasticLanczosQuadrature.Settings(1, kflr.dimension(), 4)).maxNode();
        assertEquals(largest, maxNode, 1e-3 * largest);
        int n = kflr.dimension();
        float[] g = new float[n], x = new float[n], direct = new float[n];
        SplittableRandom rnd = new SplittableRandom(4);
        for (int i = 0; i < n; i++) g[i] = (float) rnd.nextGaussian();
        double damping = 0.1 * largest;
        new ConjugateGradient(n, 500, 1e-12).solve(kflr.damped(damping)::apply, g, x); // x = -(C + d I)^-1 g
        kflr.solve(damping, g, direct);
        for (int i = 0; i < n; i++) assertEquals(-direct[i], x[i], 1e-3 * (1 + Math.abs(direct[i])), "entry " + i);
    }

    @Test
    void aSingularInverseFailsSuggestingDamping() {
        SmallClassifier m = new SmallClassifier(10, 1, 5, 4, 3);
        KroneckerCurvature kflr = SmallClassifier.kronecker(m.backprop(HESSIAN_FACTOR, "KFLR", true, false), "KFLR");
        float[] v = new float[kflr.dimension()], out = new float[kflr.dimension()];
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> kflr.solve(0, v, out));
        assertTrue(e.getMessage().contains("add damping") && e.getMessage().contains("layer '0'"), e.getMessage());
        assertThrows(ArithmeticException.class, () -> kflr.logDeterminant(-1));
        kflr.solve(1e-3, v, out); // damped, it is fine
    }

    @Test
    void anUnsupportedLayerIsNamedWithTheMethod() {
        SmallClassifier m = new SmallClassifier(11, 2, 5, 4, 3);
        LayerCall relu = new LayerCall("act", Activation.RELU, m.x, m.x);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerBackprop.compile(m.store,
                m.logits, List.of(relu), HESSIAN_FACTOR, "EKFAC", true, false));
        assertTrue(e.getMessage().startsWith("EKFAC does not support layer 'act'"), e.getMessage());
    }
}
