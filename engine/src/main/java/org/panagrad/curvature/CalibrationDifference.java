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
        if (count < 1) throw new IllegalArgumentException("calibration difference: at least one example, got " + count);
        if (resamples < 1) throw new IllegalArgumentException("calibration difference: at least one resample, got " + resamples);
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("calibration difference: confidence in (0, 1), got " + confidence);
        }
        Scored a = Scored.of(base, labels, count, classes, bins), b = Scored.of(other, labels, count, classes, bins);
        int[] drawn = new int[count];
        double[] nll = new double[resamples], ece = new double[resamples];
        int lower = 0;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int r = 0; r < resamples; r++) {
            java.util.Arrays.fill(drawn, 0);
            for (int i = 0; i < count; i++) drawn[rnd.nextInt(count)]++;
            nll[r] = b.nll(drawn) - a.nll(drawn);
            ece[r] = b.ece(drawn) - a.ece(drawn);
            if (ece[r] < 0) lower++;
        }
        int[] all = new int[count];
        java.util.Arrays.fill(all, 1);
        java.util.Arrays.sort(nll);
        java.util.Arrays.sort(ece);
        double tail = (1 - confidence) / 2;
        return new CalibrationDifference(b.nll(all) - a.nll(all), quantile(nll, tail), quantile(nll, 1 - tail),
                b.ece(all) - a.ece(all), quantile(ece, tail), quantile(ece, 1 - tail), (double) lower / resamples,
                confidence, resamples);
    }

    private static double quantile(double[] sorted, double q) {
        double at = q * (sorted.length - 1);
        int lo = (int) Math.floor(at), hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
    }

    /** Each example's bin, top probability, hit and NLL, scored once, so a resample is weights over them. */
    private record Scored(int bins, int[] bin, double[] top, boolean[] hit, double[] nll) {
        static Scored of(float[] probabilities, int[] labels, int count, int classes, int bins) {
            if (probabilities.length < count * classes || labels.length < count) {
                throw new IllegalArgumentException("calibration difference: " + count + " examples of " + classes
                        + " classes need " + count * classes + " probabilities and " + count + " labels, got "
                        + probabilities.length + " and " + labels.length);
            }
            int[] bin = new int[count];
            double[] top = new double[count], nll = new double[count];
            boolean[] hit = new boolean[count];
            for (int n = 0; n < count; n++) {
                int best = Calibration.predicted(probabilities, n, classes);
                top[n] = probabilities[n * classes + best];
                bin[n] = Calibration.bin(top[n], bins);
                hit[n] = best == labels[n];
                nll[n] = Calibration.nll(probabilities, n, classes, labels[n]);
            }
            return new Scored(bins, bin, top, hit, nll);
        }

        double nll(int[] weight) {
            double sum = 0;
            long total = 0;
            for (int n = 0; n < weight.length; n++) {
                sum += weight[n] * nll[n];
                total += weight[n];
            }
            return sum / total;
        }

        double ece(int[] weight) {
            double[] confidence = new double[bins], correct = new double[bins];
            long[] count = new long[bins];
            long total = 0;
            for (int n = 0; n < weight.length; n++) {
                if (weight[n] == 0) continue;
                confidence[bin[n]] += weight[n] * top[n];
                if (hit[n]) correct[bin[n]] += weight[n];
                count[bin[n]] += weight[n];
                total += weight[n];
            }
            double ece = 0;
            for (int b = 0; b < bins; b++) if (count[b] > 0) ece += Math.abs(correct[b] - confidence[b]) / total;
            return ece;
        }
    }
}
