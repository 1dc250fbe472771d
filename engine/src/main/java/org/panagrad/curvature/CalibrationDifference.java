package org.panagrad.curvature;

import java.util.SplittableRandom;

/**
 * How much one predictive's NLL and expected calibration error differ from another's on the same labelled examples,
 * with a paired bootstrap interval: both are scored on the same resamples of the examples, so the interval is that
 * of the difference, not of two separate estimates. On a well-calibrated model the ECE of 10,000 test images moves by
 * more under resampling than a Laplace predictive moves it, and a point estimate alone cannot say which is lower.
 *
 * @param nll          other's mean NLL minus base's
 * @param nllLow       the interval's lower end
 * @param nllHigh      the interval's upper end
 * @param ece          other's ECE minus base's
 * @param eceLow       the interval's lower end
 * @param eceHigh      the interval's upper end
 * @param eceLowerShare the share of resamples in which other's ECE is below base's
 * @param confidence   the interval's coverage, e.g. 0.95 (percentile interval)
 * @param resamples    bootstrap resamples
 */
public record CalibrationDifference(double nll, double nllLow, double nllHigh, double ece, double eceLow, double eceHigh,
                                    double eceLowerShare, double confidence, int resamples) {

    /**
     * @param base  [count, classes] probabilities, rows summing to 1 (e.g. the MAP model's)
     * @param other the same for the predictive compared with it
     */
    public static CalibrationDifference paired(float[] base, float[] other, int[] labels, int count, int classes, int bins,
                                               int resamples, double confidence, long seed) {
        if (resamples < 1) throw new IllegalArgumentException("calibration difference: at least one resample, got " + resamples);
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("calibration difference: confidence in (0, 1), got " + confidence);
        }
        String what = "calibration difference";
        ScoredExamples a = new ScoredExamples(base, labels, count, classes, bins, what);
        ScoredExamples b = new ScoredExamples(other, labels, count, classes, bins, what);
        int[] drawn = new int[count];
        double[] nll = new double[resamples], ece = new double[resamples];
        int lower = 0;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int r = 0; r < resamples; r++) {
            java.util.Arrays.fill(drawn, 0);
            for (int i = 0; i < count; i++) drawn[rnd.nextInt(count)]++;
            Calibration ca = a.calibration(drawn), cb = b.calibration(drawn);
            nll[r] = cb.nll() - ca.nll();
            ece[r] = cb.ece() - ca.ece();
            if (ece[r] < 0) lower++;
        }
        Calibration ca = a.calibration(null), cb = b.calibration(null);
        java.util.Arrays.sort(nll);
        java.util.Arrays.sort(ece);
        double tail = (1 - confidence) / 2;
        return new CalibrationDifference(cb.nll() - ca.nll(), quantile(nll, tail), quantile(nll, 1 - tail),
                cb.ece() - ca.ece(), quantile(ece, tail), quantile(ece, 1 - tail), (double) lower / resamples,
                confidence, resamples);
    }

    private static double quantile(double[] sorted, double q) {
        double at = q * (sorted.length - 1);
        int lo = (int) Math.floor(at), hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
    }
}
