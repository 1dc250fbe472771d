package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.F;
import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Writes an accumulator tile into C: C = alpha * acc + beta * C, then on the last k block + bias, ReLU and
 * the mask (each element's mask value is read before that element is written, so with one k block the mask
 * may be C itself).
 * Each row goes a vector at a time while whole vectors fit, then element by element with the same fused
 * operations in the same order, so both paths round identically (which keeps results independent of where
 * thread bands cut the tiles). Edge tiles thus keep their vector part: at n = 10 every tile is an edge tile.
 */
final class GemmStore {
    private GemmStore() {}

    static void store(GemmJob job, float[] tile, int i0, int j0, int mr, int nr, float beta, boolean lastBlock) {
        if (mr == MR && nr == NR) {
            storeFullTile(job, tile, i0, j0, beta, lastBlock);
            return;
        }
        float[] c = job.c;
        float alpha = job.alpha;
        boolean addBias = lastBlock && job.bias != null;
        boolean relu = lastBlock && job.relu;
        float[] mask = lastBlock ? job.mask : null;
        FloatVector alphaV = FloatVector.broadcast(F, alpha);
        FloatVector betaV = FloatVector.broadcast(F, beta);
        FloatVector zero = FloatVector.zero(F);
        int vectorEnd = nr / LANES * LANES;
        for (int r = 0; r < mr; r++) {
            int ci = job.cOff + (i0 + r) * job.ldc + j0, mi = ci - job.cOff + job.maskOff;
            int j = 0;
            for (; j < vectorEnd; j += LANES) {
                FloatVector out = FloatVector.fromArray(F, tile, r * NR + j).mul(alphaV);
                if (beta != 0f) out = FloatVector.fromArray(F, c, ci + j).fma(betaV, out);
                if (addBias) out = out.add(FloatVector.fromArray(F, job.bias, job.biasOff + j0 + j));
                if (relu) out = out.max(0f);
                if (mask != null) out = zero.blend(out, FloatVector.fromArray(F, mask, mi + j).compare(VectorOperators.GT, 0f));
                out.intoArray(c, ci + j);
            }
            for (; j < nr; j++) {
                c[ci + j] = epilogue(alpha * tile[r * NR + j], c, ci + j, beta, addBias ? job.bias : null,
                        job.biasOff + j0 + j, relu, mask, mi + j);
            }
        }
    }

    /** One element of C, as the vector paths compute it lane by lane: the scalar tails'. */
    private static float epilogue(float product, float[] c, int ci, float beta, float[] bias, int bi, boolean relu,
                                  float[] mask, int mi) {
        float out = product;
        if (beta != 0f) out = Math.fma(c[ci], beta, out);
        if (bias != null) out += bias[bi];
        if (relu) out = Math.max(out, 0f);
        if (mask != null && !(mask[mi] > 0f)) out = 0f;
        return out;
    }

    /**
     * Rows [i0, i0 + rows) and columns [j0, j0 + cols) of C from a tile of its transpose ({@link NarrowGemm}'s
     * transposed tiles): C(i0 + l, j0 + r) comes from tile[r * NR + l0 + l], r < h <= MR. The tile is turned
     * row-major in registers first ({@link GemmTranspose}; element by element, the strided reads and the
     * epilogue's branches cost a third of a 500 x 10 x 128 product), into {@code rowMajor}, then stored as
     * {@link #storeRows} does.
     */
    static void storeTransposed(GemmJob job, float[] tile, int h, int l0, int i0, int rows, int j0, int cols,
                                float[] rowMajor, float[] row) {
        if (GemmTranspose.AVAILABLE) {
            GemmTranspose.packRowPanel(tile, 0, NR, NR, rowMajor, 0, h);
        } else {
            for (int l = 0; l < NR; l++) for (int r = 0; r < h; r++) rowMajor[l * h + r] = tile[r * NR + l];
        }
        storeRows(job, rowMajor, l0 * h, h, i0, rows, j0, cols, row);
    }

    /**
     * Rows [i0, i0 + rows) and columns [j0, j0 + cols) of C, cols <= LANES, from a row-major tile: C(i0 + r, j0 + j)
     * comes from tile[t0 + r * stride + j] ({@link NarrowGemm}: at most one vector of C's columns). The epilogue
     * runs on whole vectors, reading the tile (which keeps a vector of slack), C and the mask past the row's
     * columns (never past the arrays: the rows at their ends go element by element), and only the columns are
     * written, one by one unless they are a whole vector (a small product's full panels): a vector store would
     * also write the start of the next row, which another thread may be writing. (Writing the vector back with the lanes past the columns as read, and element by element only
     * where another part's rows follow, measured no faster.) One k block: bias, ReLU and mask always apply.
     * {@code row} holds a vector.
     */
    static void storeRows(GemmJob job, float[] tile, int t0, int stride, int i0, int rows, int j0, int cols,
                          float[] row) {
        float[] c = job.c, mask = job.mask, bias = job.bias;
        float alpha = job.alpha, beta = job.beta;
        int ldc = job.ldc, bi = job.biasOff + j0;
        boolean relu = job.relu;
        boolean vectorBias = bias == null || bi + LANES <= bias.length;
        FloatVector zero = FloatVector.zero(F);
        FloatVector alphaV = FloatVector.broadcast(F, alpha);
        FloatVector betaV = FloatVector.broadcast(F, beta);
        FloatVector biasV = bias != null && vectorBias ? FloatVector.fromArray(F, bias, bi) : zero;
        for (int r = 0, t = t0; r < rows; r++, t += stride) {
            int ci = job.cOff + (i0 + r) * ldc + j0, mi = job.maskOff + (i0 + r) * ldc + j0;
            if (vectorBias && (beta == 0f || ci + LANES <= c.length) && (mask == null || mi + LANES <= mask.length)) {
                FloatVector out = FloatVector.fromArray(F, tile, t).mul(alphaV);
                if (beta != 0f) out = FloatVector.fromArray(F, c, ci).fma(betaV, out);
                if (bias != null) out = out.add(biasV);
                if (relu) out = out.max(0f);
                if (mask != null) out = zero.blend(out, FloatVector.fromArray(F, mask, mi).compare(VectorOperators.GT, 0f));
                if (cols == LANES) {
                    out.intoArray(c, ci);
                } else {
                    out.intoArray(row, 0);
                    for (int j = 0; j < cols; j++) c[ci + j] = row[j];
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    c[ci + j] = epilogue(alpha * tile[t + j], c, ci + j, beta, bias, bi + j, relu, mask, mi + j);
                }
            }
        }
    }

    /**
     * {@link #store} for a whole MR x NR tile, the common case: the row loop has constant bounds, so C2 unrolls
     * it into straight-line code. The general loop, with its runtime vector count and scalar tail, cost more
     * than half of the epilogue (7% of a 500 x 784 x 128 product). Same operations in the same order.
     */
    private static void storeFullTile(GemmJob job, float[] tile, int i0, int j0, float beta, boolean lastBlock) {
        float[] c = job.c;
        boolean addBias = lastBlock && job.bias != null;
        boolean relu = lastBlock && job.relu;
        float[] mask = lastBlock ? job.mask : null;
        FloatVector zero = FloatVector.zero(F);
        FloatVector alphaV = FloatVector.broadcast(F, job.alpha);
        FloatVector betaV = FloatVector.broadcast(F, beta);
        FloatVector bias0 = addBias ? FloatVector.fromArray(F, job.bias, job.biasOff + j0) : betaV;
        FloatVector bias1 = addBias ? FloatVector.fromArray(F, job.bias, job.biasOff + j0 + LANES) : betaV;
        int ldc = job.ldc;
        int ci = job.cOff + i0 * ldc + j0, mi = job.maskOff + i0 * ldc + j0;
        for (int r = 0; r < MR; r++, ci += ldc, mi += ldc) {
            FloatVector out0 = FloatVector.fromArray(F, tile, r * NR).mul(alphaV);
            FloatVector out1 = FloatVector.fromArray(F, tile, r * NR + LANES).mul(alphaV);
            if (beta != 0f) {
                out0 = FloatVector.fromArray(F, c, ci).fma(betaV, out0);
                out1 = FloatVector.fromArray(F, c, ci + LANES).fma(betaV, out1);
            }
            if (addBias) {
                out0 = out0.add(bias0);
                out1 = out1.add(bias1);
            }
            if (relu) {
                out0 = out0.max(0f);
                out1 = out1.max(0f);
            }
            if (mask != null) {
                out0 = zero.blend(out0, FloatVector.fromArray(F, mask, mi).compare(VectorOperators.GT, 0f));
                out1 = zero.blend(out1, FloatVector.fromArray(F, mask, mi + LANES).compare(VectorOperators.GT, 0f));
            }
            out0.intoArray(c, ci);
            out1.intoArray(c, ci + LANES);
        }
    }
}
