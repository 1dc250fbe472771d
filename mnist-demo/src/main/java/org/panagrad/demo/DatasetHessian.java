package org.panagrad.demo;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.io.Dataset;

/**
 * The Hessian of the mean loss over the first {@code count} examples of a data set, as a linear operator:
 * H v = sum over batches of (batch size / count) * H_batch v, each batch's product computed by a compiled
 * Hessian-vector-product program (reverse over reverse); a second program takes the last, smaller batch.
 * With a single batch the data is fed once and the model never changes, so the products run at that fixed
 * point ({@link CurvatureProduct#atCurrentPoint}): the forward pass is computed once, not once per product.
 */
final class DatasetHessian implements LinearOperator {
    private final Dataset data;
    private final int count;
    private final Part full;
    private final Part rest;
    private final int batches;
    private final float[] partial;
    /** The single batch's product at its fixed point, or null with several batches. */
    private final LinearOperator single;
    private double loss = Double.NaN;

    DatasetHessian(Model model, Dataset data, int count, int batch) {
        if (count < 1 || count > data.count()) {
            throw new IllegalArgumentException("--samples must be between 1 and " + data.count() + ", got " + count);
        }
        if (batch < 1) throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        this.data = data;
        this.count = count;
        int size = Math.min(batch, count);
        full = new Part(model, "hvp", size);
        rest = count % size == 0 ? null : new Part(model, "hvp_rest", count % size);
        batches = (count + size - 1) / size;
        if (batches == 1) {
            full.feed(data, 0);
            single = full.product.atCurrentPoint();
        } else {
            single = null;
        }
        partial = new float[full.product.dimension()];
    }

    @Override
    public int dimension() {
        return full.product.dimension();
    }

    @Override
    public void apply(float[] v, float[] out) {
        if (single != null) {
            single.apply(v, out);
            loss = full.product.loss();
            return;
        }
        java.util.Arrays.fill(out, 0);
        double lossSum = 0;
        for (int start = 0; start < count; ) {
            Part part = count - start >= full.size ? full : rest;
            part.feed(data, start);
            part.product.apply(v, partial);
            float weight = (float) part.size / count;
            for (int i = 0; i < out.length; i++) out[i] += weight * partial[i];
            lossSum += (double) part.product.loss() * part.size;
            start += part.size;
        }
        loss = lossSum / count;
    }

    /** The mean loss over the examples, as of the last product. */
    double loss() {
        return loss;
    }

    private static final class Part {
        final Model.Batch batch;
        final CurvatureProduct product;
        final int size;

        Part(Model model, String name, int size) {
            this.size = size;
            batch = model.batch(name, size);
            product = CurvatureProduct.compile(model.store, batch.loss(), model.parameters(),
                    CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE);
        }

        void feed(Dataset data, int start) {
            product.program().set(batch.images(), data.images(), start * data.pixelsPerImage());
            product.program().setLabels(batch.labels(), data.labels(), start);
        }
    }
}
