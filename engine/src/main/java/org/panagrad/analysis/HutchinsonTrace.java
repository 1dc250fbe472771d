package org.panagrad.analysis;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The trace of a symmetric operator by Hutchinson's estimator with Rademacher vectors z (independent signs):
 * E[z.Az] = tr(A), with variance 2 * sum over i != j of A_ij^2, so the off-diagonal mass alone sets the cost.
 * The estimate comes with its standard error (sample standard deviation / sqrt(n)).
 *
 * <p>Stopping rules: {@link StoppingRule#MEAN_CHANGE} is PyHessian's (stop when the running mean moved by at most
 * relativeTolerance times its previous magnitude; cheap but optimistic, since one more sample moves the mean
 * by about 1/n of its spread); {@link StoppingRule#STANDARD_ERROR} stops when the standard error is at most
 * relativeTolerance * |mean|. Either way at least two samples are drawn, so the standard error is defined.
 */
public final class HutchinsonTrace {
    private HutchinsonTrace() {}

    /** When sampling stops early: once the running mean settles, or once its standard error is small enough. */
    public enum StoppingRule { MEAN_CHANGE, STANDARD_ERROR }

    /** How many Rademacher vectors at most, the relative tolerance of the stopping rule, the rule, and the seed. */
    public record Settings(int maxSamples, double relativeTolerance, StoppingRule rule, long seed) {
        public Settings {
            if (maxSamples < 2) throw new IllegalArgumentException("Hutchinson trace: maxSamples must be at least 2, got " + maxSamples);
            if (!(relativeTolerance >= 0)) {
                throw new IllegalArgumentException("Hutchinson trace: relativeTolerance must be >= 0, got " + relativeTolerance);
            }
            if (rule == null) throw new IllegalArgumentException("Hutchinson trace: a stopping rule is required");
        }

        /** PyHessian's defaults: at most 100 samples, stop when the mean moves by less than 1e-3 relative. */
        public static Settings pyHessian(long seed) {
            return new Settings(100, 1e-3, StoppingRule.MEAN_CHANGE, seed);
        }
    }

    public static TraceEstimate estimate(LinearOperator op, Settings settings) {
        return estimate(BlockLinearOperator.columnByColumn(op, 1), settings);
    }

    /**
     * The same estimate with k probes per block product: the probes are drawn in the same order and the stopping
     * rule is checked after each one, so the result equals the single-vector estimate with the same seed (to float
     * rounding of the products); the unused rest of the last block is discarded.
     */
    public static TraceEstimate estimate(BlockLinearOperator op, Settings settings) {
        int n = op.dimension(), k = op.blockSize();
        SplittableRandom rnd = new SplittableRandom(settings.seed());
        float[][] z = new float[k][n], az = new float[k][n];
        double[] values = new double[settings.maxSamples()];
        // Welford's running mean and sum of squared deviations: stable when the mean is large against the spread.
        double mean = 0, m2 = 0;
        int count = 0;
        boolean converged = false;
        while (count < settings.maxSamples() && !converged) {
            for (float[] probe : z) Vectors.fillRademacher(rnd, probe);
            op.apply(z, az);
            for (int j = 0; j < k && count < settings.maxSamples() && !converged; j++) {
                double x = Vectors.dot(az[j], z[j]);
                values[count++] = x;
                double previous = mean;
                mean += (x - mean) / count;
                m2 += (x - previous) * (x - mean);
                if (count < 2) continue;
                double tolerance = settings.relativeTolerance();
                converged = settings.rule() == StoppingRule.MEAN_CHANGE
                        ? Math.abs(mean - previous) <= tolerance * Math.abs(previous)
                        : standardError(m2, count) <= tolerance * Math.abs(mean);
            }
        }
        return new TraceEstimate(settings, mean, standardError(m2, count), count, converged, Arrays.copyOf(values, count));
    }

    private static double standardError(double m2, int count) {
        return Math.sqrt(m2 / (count - 1) / count);
    }
}
