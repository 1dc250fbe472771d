package org.panagrad.analysis;

import java.util.Arrays;
import java.util.function.IntFunction;
import java.util.function.IntToDoubleFunction;

/**
 * The curvature of the loss over several data batches, as one operator: A v = sum_b w_b A_b v / sum_b w_b,
 * where A_b is a per-batch product (a {@link CurvatureProduct} after batch b was fed to its program) and w_b
 * its weight, normally its example count. This is PyHessian's full-dataset mode; the spectral methods then
 * analyse the Hessian of the mean loss over all the batches rather than over one.
 *
 * <p>{@code loadBatch} feeds batch b and returns the operator to apply to it, so a smaller last batch can use
 * its own compiled program. Every {@link #apply} loads every batch again; the sum is kept in double, in a
 * buffer allocated once.
 */
public final class BatchAverage implements LinearOperator {
    private final int dimension, batches;
    private final IntFunction<LinearOperator> loadBatch;
    private final IntToDoubleFunction weight;
    private final double[] sum;
    private final float[] product;

    public BatchAverage(int dimension, int batches, IntFunction<LinearOperator> loadBatch, IntToDoubleFunction weight) {
        if (batches < 1) throw new IllegalArgumentException("batch average: at least one batch is needed, got " + batches);
        this.dimension = dimension;
        this.batches = batches;
        this.loadBatch = loadBatch;
        this.weight = weight;
        this.sum = new double[dimension];
        this.product = new float[dimension];
    }

    /** Batches of equal weight. */
    public BatchAverage(int dimension, int batches, IntFunction<LinearOperator> loadBatch) {
        this(dimension, batches, loadBatch, b -> 1);
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public void apply(float[] v, float[] out) {
        Arrays.fill(sum, 0);
        double total = 0;
        for (int b = 0; b < batches; b++) {
            LinearOperator op = loadBatch.apply(b);
            if (op.dimension() != dimension) {
                throw new IllegalArgumentException("batch average: batch " + b + " has an operator of dimension "
                        + op.dimension() + ", expected " + dimension);
            }
            double w = weight.applyAsDouble(b);
            op.apply(v, product);
            for (int i = 0; i < dimension; i++) sum[i] += w * product[i];
            total += w;
        }
        for (int i = 0; i < dimension; i++) out[i] = (float) (sum[i] / total);
    }
}
