package org.panagrad.demo;

import org.panagrad.analysis.BlockCurvatureProduct;
import org.panagrad.analysis.BlockLinearOperator;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.runtime.Program;
import org.panagrad.io.Dataset;

/**
 * The Hessian of the mean loss over the first {@code count} examples of a data set, as a linear operator:
 * H v = sum over batches of (batch size / count) * H_batch v, each batch's product computed by a compiled
 * Hessian-vector-product program (reverse over reverse); a second program takes the last, smaller batch.
 * With a block size k above 1 it multiplies blocks of k vectors instead ({@link BlockCurvatureProduct}, forward
 * over reverse batched over the block), and only {@link #apply(float[][], float[][])} is available.
 * With a single batch the data is fed once and the model never changes, so the products run at that fixed
 * point ({@link CurvatureProduct#atCurrentPoint}): the forward pass is computed once, not once per product.
 */
final class DatasetHessian implements LinearOperator, BlockLinearOperator {
    private final Dataset data;
    private final int count;
    private final int blockSize;
    private final Part full;
    private final Part rest;
    private final int batches;
    private final float[][] partial;
    private double loss = Double.NaN;

    DatasetHessian(Model model, Dataset data, int count, int batch, int blockSize) {
        if (count < 1 || count > data.count()) {
            throw new IllegalArgumentException("--samples must be between 1 and " + data.count() + ", got " + count);
        }
        if (batch < 1) throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        if (blockSize < 1) throw new IllegalArgumentException("--block-size must be at least 1, got " + blockSize);
        this.data = data;
        this.count = count;
        this.blockSize = blockSize;
        int size = Math.min(batch, count);
        full = new Part(model, "hvp", size, blockSize);
        rest = count % size == 0 ? null : new Part(model, "hvp_rest", count % size, blockSize);
        batches = (count + size - 1) / size;
        if (batches == 1) {
            full.feed(data, 0);
            full.fixPoint();
        }
        partial = new float[blockSize][full.dimension()];
    }

    @Override
    public int dimension() {
        return full.dimension();
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public void apply(float[] v, float[] out) {
        if (blockSize != 1) throw new IllegalStateException("this Hessian multiplies blocks of " + blockSize + " vectors");
        apply(new float[][] {v}, new float[][] {out});
    }

    @Override
    public void apply(float[][] v, float[][] out) {
        if (batches == 1) {
            full.apply(v, out);
            loss = full.loss();
            return;
        }
        for (float[] o : out) java.util.Arrays.fill(o, 0);
        double lossSum = 0;
        for (int start = 0; start < count; ) {
            Part part = count - start >= full.size ? full : rest;
            part.feed(data, start);
            part.apply(v, partial);
            float weight = (float) part.size / count;
            for (int j = 0; j < out.length; j++) {
                for (int i = 0; i < out[j].length; i++) out[j][i] += weight * partial[j][i];
            }
            lossSum += (double) part.loss() * part.size;
            start += part.size;
        }
        loss = lossSum / count;
    }

    /** The mean loss over the examples, as of the last product. */
    double loss() {
        return loss;
    }

    /** One batch size's compiled product: of single vectors, or of blocks; at its fixed point once fixed. */
    private static final class Part {
        final Model.Batch batch;
        final CurvatureProduct single;
        final BlockCurvatureProduct block;
        final int size;
        LinearOperator singleAtPoint;
        BlockLinearOperator blockAtPoint;

        Part(Model model, String name, int size, int blockSize) {
            this.size = size;
            batch = model.batch(name, size);
            single = blockSize == 1 ? CurvatureProduct.compile(model.store, batch.loss(), model.parameters(),
                    CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE) : null;
            block = blockSize == 1 ? null : BlockCurvatureProduct.compile(model.store, batch.loss(), model.parameters(),
                    CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE, blockSize);
        }

        Program program() {
            return single != null ? single.program() : block.program();
        }

        int dimension() {
            return single != null ? single.dimension() : block.dimension();
        }

        void feed(Dataset data, int start) {
            program().set(batch.images(), data.images(), start * data.pixelsPerImage());
            program().setLabels(batch.labels(), data.labels(), start);
        }

        void fixPoint() {
            if (single != null) singleAtPoint = single.atCurrentPoint();
            else blockAtPoint = block.atCurrentPoint();
        }

        void apply(float[][] v, float[][] out) {
            if (singleAtPoint != null) singleAtPoint.apply(v[0], out[0]);
            else if (single != null) single.apply(v[0], out[0]);
            else if (blockAtPoint != null) blockAtPoint.apply(v, out);
            else block.apply(v, out);
        }

        float loss() {
            return single != null ? single.loss() : block.loss();
        }
    }
}
