package org.panagrad.curvature;

import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.panagrad.nn.Activation;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SteadyState;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every diagonal against the diagonal of the explicit matrix (Commons Math) of a small MLP. */
class CurvatureDiagonalTest {

    private static float[] compute(SmallMlp m, CurvatureDiagonal.Kind kind, CurvatureDiagonal.Settings settings) {
        CurvatureDiagonal d = CurvatureDiagonal.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, kind, settings);
        m.feed(d.program());
        float[] out = new float[d.dimension()];
        d.compute(out);
        return out;
    }

    @ParameterizedTest
    @CsvSource({"TANH, false", "RELU, false", "SIGMOID, true", "TANH, true"})
    void exactDiagonalsEqualTheExplicitMatrices(Activation act, boolean mse) {
        SmallMlp m = new SmallMlp(act, mse, 17, 6, 4, 5, 3, 3);
        RealMatrix ggn = m.explicitGgn(), hessian = m.explicitHessian(), fisher = m.explicitEmpiricalFisher();
        Reference.assertClose("GGN", SmallMlp.diagonal(ggn),
                Reference.toDouble(compute(m, CurvatureDiagonal.Kind.GGN, CurvatureDiagonal.Settings.DEFAULT)), 1e-4, 1e-6);
        Reference.assertClose("Hessian", SmallMlp.diagonal(hessian),
                Reference.toDouble(compute(m, CurvatureDiagonal.Kind.HESSIAN, CurvatureDiagonal.Settings.DEFAULT)), 1e-4, 1e-6);
        Reference.assertClose("empirical Fisher", SmallMlp.diagonal(fisher),
                Reference.toDouble(compute(m, CurvatureDiagonal.Kind.EMPIRICAL_FISHER, CurvatureDiagonal.Settings.DEFAULT)), 1e-4, 1e-6);
        if (act != Activation.RELU) {
            // The Hessian's diagonal differs from the GGN's where the activation curves: the test can tell them apart.
            assertTrue(Reference.maxAbsDiff(SmallMlp.diagonal(ggn), SmallMlp.diagonal(hessian)) > 1e-3);
        }
    }

    /**
     * The Monte Carlo GGN diagonal is unbiased: the mean of K independent estimates is within 5 standard
     * errors (estimated from the K estimates) of the exact diagonal in every entry, its root-mean-square error
     * over the entries is at most 2.5 root-mean-square standard errors, and it shrinks as K grows (K = 25 vs
     * 1600: by sqrt(64) = 8x in expectation, 2.7x in this seeded run, whose entries' errors are correlated
     * because they share the sampled labels; asserted 2x).
     */
    @Test
    void monteCarloGgnConvergesToTheExactOne() {
        SmallMlp m = new SmallMlp(Activation.TANH, false, 23, 6, 4, 5, 3);
        double[] exact = SmallMlp.diagonal(m.explicitGgn());
        CurvatureDiagonal mc = CurvatureDiagonal.compile(m.store(), m.loss, m.pass.layerCalls(), m.params,
                CurvatureDiagonal.Kind.GGN_MONTE_CARLO, new CurvatureDiagonal.Settings(2, 42));
        m.feed(mc.program());
        assertMonteCarloConverges(mc, exact, 1e-7);
    }

    /**
     * Runs {@code mc} 1600 times and asserts the bounds above against {@code exact}: every entry's mean within 5
     * standard errors (plus {@code atol}, for float32 rounding), the RMS error within 2.5 RMS standard errors,
     * and that error at 1600 runs below half its value at 25.
     */
    static void assertMonteCarloConverges(CurvatureDiagonal mc, double[] exact, double atol) {
        float[] one = new float[mc.dimension()];
        double[] sum = new double[one.length], squares = new double[one.length];
        double errorAt25 = 0, standardErrors = 0;
        int runs = 1600;
        for (int k = 1; k <= runs; k++) {
            mc.compute(one);
            for (int i = 0; i < one.length; i++) {
                sum[i] += one[i];
                squares[i] += (double) one[i] * one[i];
            }
            if (k == 25) errorAt25 = rmsError(sum, k, exact);
        }
        for (int i = 0; i < one.length; i++) {
            double mean = sum[i] / runs, sd = Math.sqrt(Math.max(0, squares[i] / runs - mean * mean));
            assertEquals(exact[i], mean, 5 * sd / Math.sqrt(runs) + atol, "entry " + i);
            standardErrors += sd * sd / runs;
        }
        double rms = rmsError(sum, runs, exact);
        assertTrue(rms < 2.5 * Math.sqrt(standardErrors / one.length), rms + " vs standard error " + Math.sqrt(standardErrors / one.length));
        assertTrue(rms < errorAt25 / 2, rms + " vs " + errorAt25 + " at 25 runs");
    }

    /** Hutchinson's estimate through the same API, within 5 of its standard errors from the variance formula. */
    @Test
    void hutchinsonThroughTheSameApi() {
        SmallMlp m = new SmallMlp(Activation.TANH, false, 29, 5, 3, 4, 3);
        RealMatrix h = m.explicitHessian();
        int samples = 2000;
        float[] est = compute(m, CurvatureDiagonal.Kind.HUTCHINSON_HESSIAN, new CurvatureDiagonal.Settings(samples, 7));
        for (int i = 0; i < est.length; i++) {
            double variance = 0;
            for (int j = 0; j < est.length; j++) if (j != i) variance += h.getEntry(i, j) * h.getEntry(i, j);
            assertEquals(h.getEntry(i, i), est[i], 5 * Math.sqrt(variance / samples) + 1e-5, "entry " + i);
        }
    }

    @Test
    void theHessianDiagonalRefusesWhatIsNotAnMlp() {
        SmallMlp m = new SmallMlp(Activation.TANH, false, 1, 4, 3, 4, 3);
        // The first layer's output reaches the loss only through the second layer: dropping the second from the
        // calls leaves the first's output reaching the logits another way.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CurvatureDiagonal.compile(m.store(),
                m.loss, m.pass.layerCalls().subList(0, 1), m.params.subList(0, 2), CurvatureDiagonal.Kind.HESSIAN,
                CurvatureDiagonal.Settings.DEFAULT));
        assertTrue(e.getMessage().startsWith("exact Hessian diagonal supports MLPs"), e.getMessage());
    }

    @Test
    void computingAllocatesNothing() {
        SmallMlp m = new SmallMlp(Activation.RELU, false, 31, 32, 20, 16, 10);
        for (CurvatureDiagonal.Kind kind : new CurvatureDiagonal.Kind[] {CurvatureDiagonal.Kind.GGN,
                CurvatureDiagonal.Kind.GGN_MONTE_CARLO, CurvatureDiagonal.Kind.HESSIAN, CurvatureDiagonal.Kind.EMPIRICAL_FISHER,
                CurvatureDiagonal.Kind.HUTCHINSON_GGN}) {
            CurvatureDiagonal d = CurvatureDiagonal.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, kind,
                    new CurvatureDiagonal.Settings(2, 1));
            m.feed(d.program());
            float[] out = new float[d.dimension()];
            assertEquals(0, SteadyState.allocatedBytes(() -> d.compute(out), 30), kind.toString());
        }
    }

    private static double rmsError(double[] sum, int k, double[] exact) {
        double e = 0;
        for (int i = 0; i < exact.length; i++) e += (sum[i] / k - exact[i]) * (sum[i] / k - exact[i]);
        return Math.sqrt(e / exact.length);
    }
}
