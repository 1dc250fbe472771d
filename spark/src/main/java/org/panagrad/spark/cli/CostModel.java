package org.panagrad.spark.cli;

/**
 * The cost of a distributed call on N partitions: T(N) = C / min(N, slots) + A(N) + F, with C the one-slot compute
 * of the whole data set, A(N) the aggregation of one parameter-sized vector per partition and F Spark's fixed cost
 * per job. A(N) and F are measured (the aggregation-only and the empty jobs); C is fitted by least squares to the
 * call's times at every N measured.
 */
record CostModel(double compute, int slots) {
    /** C fitted to the times {@code t[i]} at {@code n[i]} partitions, less their measured aggregation and job costs. */
    static CostModel fit(int[] n, double[] t, double[] aggregation, double[] job, int slots) {
        double sxy = 0, sxx = 0;
        for (int i = 0; i < n.length; i++) {
            double x = 1.0 / Math.min(n[i], slots);
            sxy += x * (t[i] - aggregation[i] - job[i]);
            sxx += x * x;
        }
        return new CostModel(sxy / sxx, slots);
    }

    /** The compute term at N partitions. */
    double computeAt(int n) {
        return compute / Math.min(n, slots);
    }

    double predict(int n, double aggregation, double job) {
        return computeAt(n) + aggregation + job;
    }
}
