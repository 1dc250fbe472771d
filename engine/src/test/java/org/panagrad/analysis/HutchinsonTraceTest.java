package org.panagrad.analysis;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HutchinsonTraceTest {
    private static final HutchinsonTrace.StoppingRule MEAN_CHANGE = HutchinsonTrace.StoppingRule.MEAN_CHANGE;
    private static final HutchinsonTrace.StoppingRule STANDARD_ERROR = HutchinsonTrace.StoppingRule.STANDARD_ERROR;

    @Test
    void aDiagonalMatrixIsExactFromTheFirstSample() {
        // z.Dz = tr(D) for every sign vector z: no variance at all.
        double[][] d = new double[5][5];
        double[] diagonal = {3, -1, 0.5, 2, 7};
        for (int i = 0; i < 5; i++) d[i][i] = diagonal[i];
        TraceEstimate t = HutchinsonTrace.estimate(new ExplicitOperator(d), new HutchinsonTrace.Settings(100, 1e-3, MEAN_CHANGE, 1));
        assertEquals(11.5, t.mean(), 0);
        assertEquals(0, t.standardError(), 0);
        assertEquals(2, t.samples());
        assertTrue(t.converged());
    }

    @Test
    void theMeanIsWithinAFewStandardErrorsOfTheTraceAndTheErrorMatchesTheTheory() {
        ExplicitOperator a = ExplicitOperator.withSpectrum(11, PowerIterationTest.spectrum(50, -1, 3, 12, -4));
        int samples = 4000;
        TraceEstimate t = HutchinsonTrace.estimate(a, new HutchinsonTrace.Settings(samples, 0, MEAN_CHANGE, 5));
        assertEquals(samples, t.samples());
        assertEquals(samples, t.sampleValues().length);
        double trace = a.trace();
        assertTrue(Math.abs(t.mean() - trace) < 4 * t.standardError(), t.mean() + " vs " + trace + " +- " + t.standardError());
        double theory = Math.sqrt(a.hutchinsonVariance() / samples);
        assertEquals(theory, t.standardError(), 0.1 * theory);
    }

    @Test
    void theStandardErrorShrinksLikeOneOverTheSquareRootOfTheSamples() {
        ExplicitOperator a = ExplicitOperator.withSpectrum(12, PowerIterationTest.spectrum(40, 0, 2, 6));
        TraceEstimate few = HutchinsonTrace.estimate(a, new HutchinsonTrace.Settings(200, 0, MEAN_CHANGE, 8));
        TraceEstimate many = HutchinsonTrace.estimate(a, new HutchinsonTrace.Settings(3200, 0, MEAN_CHANGE, 9));
        double ratio = few.standardError() / many.standardError();
        assertEquals(4, ratio, 1.0, "sqrt(3200 / 200) = 4, got " + ratio);
    }

    @Test
    void theStandardErrorRuleStopsAtTheAskedPrecision() {
        ExplicitOperator a = ExplicitOperator.withSpectrum(13, PowerIterationTest.spectrum(40, 0, 2, 6));
        TraceEstimate t = HutchinsonTrace.estimate(a, new HutchinsonTrace.Settings(10_000, 0.02, STANDARD_ERROR, 3));
        assertTrue(t.converged());
        assertTrue(t.samples() < 10_000);
        assertTrue(t.standardError() <= 0.02 * Math.abs(t.mean()));
        assertTrue(Math.abs(t.mean() - a.trace()) < 5 * t.standardError());
    }

    @Test
    void pyHessiansRuleStopsWhenTheMeanSettlesAndTheSameSeedRepeats() {
        ExplicitOperator a = ExplicitOperator.withSpectrum(14, PowerIterationTest.spectrum(30, 1, 2, 5));
        TraceEstimate t = HutchinsonTrace.estimate(a, HutchinsonTrace.Settings.pyHessian(21));
        TraceEstimate again = HutchinsonTrace.estimate(a, HutchinsonTrace.Settings.pyHessian(21));
        assertArrayEquals(t.sampleValues(), again.sampleValues());
        double[] v = t.sampleValues();
        int n = v.length;
        double last = 0, previous = 0;
        for (int i = 0; i < n; i++) last += v[i] / n;
        for (int i = 0; i < n - 1; i++) previous += v[i] / (n - 1);
        if (t.converged()) assertTrue(Math.abs(last - previous) <= 1e-3 * Math.abs(previous) + 1e-12);
        else assertEquals(100, n);
        assertEquals(last, t.mean(), 1e-9 * Math.abs(last));
    }
}
