package org.panagrad.io.tensorboard;

import java.util.Arrays;

/**
 * A histogram as TensorBoard's HistogramProto holds it: the count, min, max, sum and sum of squares of the
 * values, and bucket i counting the values in (limit[i-1], limit[i]] (the first from the minimum). Built with
 * equal-width buckets between the minimum and the maximum, in two passes that allocate only the result.
 */
public record Histogram(double min, double max, double num, double sum, double sumSquares, double[] bucketLimits,
                        double[] bucketCounts) {
    public Histogram {
        if (bucketLimits.length != bucketCounts.length) {
            throw new IllegalArgumentException(bucketLimits.length + " bucket limits for " + bucketCounts.length + " buckets");
        }
    }

    /** The histogram of {@code values[offset, offset + length)} in {@code buckets} equal-width buckets. */
    public static Histogram of(float[] values, int offset, int length, int buckets) {
        if (buckets < 1) throw new IllegalArgumentException("a histogram needs at least one bucket, got " + buckets);
        double[] moments = moments(values, offset, offset + length);
        double min = moments[0], max = moments[1], finite = moments[4];
        if (finite == 0) return new Histogram(0, 0, 0, 0, 0, new double[] {0}, new double[] {0});
        int n = min == max ? 1 : buckets;
        double[] limits = new double[n];
        for (int b = 0; b < n; b++) limits[b] = b == n - 1 ? max : min + (b + 1) * ((max - min) / n);
        return new Histogram(min, max, finite, moments[2], moments[3], limits, count(values, offset, offset + length, min, max, n));
    }

    /** Minimum, maximum, sum, sum of squares and count of the finite values. */
    private static double[] moments(float[] values, int from, int to) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        double sum = 0, sumSq = 0;
        int finite = 0;
        for (int i = from; i < to; i++) {
            float v = values[i];
            if (!Float.isFinite(v)) continue;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
            sum += v;
            sumSq += (double) v * v;
            finite++;
        }
        return new double[] {lo, hi, sum, sumSq, finite};
    }

    /** Bucket counts; a value on a limit belongs to the bucket below it: (limit[b-1], limit[b]]. */
    private static double[] count(float[] values, int from, int to, double min, double max, int n) {
        double scale = n / (max - min);
        long[] tally = new long[n];
        for (int i = from; i < to; i++) {
            float v = values[i];
            if (!Float.isFinite(v)) continue;
            double t = (v - min) * scale;
            int b = (int) t;
            if (b == t) b--;
            tally[b < 0 ? 0 : b >= n ? n - 1 : b]++;
        }
        double[] counts = new double[n];
        for (int b = 0; b < n; b++) counts[b] = tally[b];
        return counts;
    }

    public static Histogram of(float[] values, int buckets) {
        return of(values, 0, values.length, buckets);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Histogram h && min == h.min && max == h.max && num == h.num && sum == h.sum
                && sumSquares == h.sumSquares && Arrays.equals(bucketLimits, h.bucketLimits)
                && Arrays.equals(bucketCounts, h.bucketCounts);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(bucketLimits) + Arrays.hashCode(bucketCounts);
    }

    @Override
    public String toString() {
        return "Histogram[" + (long) num + " values in [" + min + ", " + max + "], " + bucketCounts.length + " buckets]";
    }
}
