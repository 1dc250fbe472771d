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
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0, sumSq = 0;
        int finite = 0;
        for (int i = offset; i < offset + length; i++) {
            float v = values[i];
            if (!Float.isFinite(v)) continue;
            finite++;
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
            sumSq += (double) v * v;
        }
        if (finite == 0) return new Histogram(0, 0, 0, 0, 0, new double[] {0}, new double[] {0});
        int n = min == max ? 1 : buckets;
        double width = (max - min) / n;
        double[] limits = new double[n], counts = new double[n];
        for (int b = 0; b < n; b++) limits[b] = b == n - 1 ? max : min + (b + 1) * width;
        for (int i = offset; i < offset + length; i++) {
            float v = values[i];
            if (!Float.isFinite(v)) continue;
            int b = n == 1 ? 0 : (int) Math.ceil((v - min) / width) - 1;
            counts[Math.max(0, Math.min(n - 1, b))]++;
        }
        return new Histogram(min, max, finite, sum, sumSq, limits, counts);
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
