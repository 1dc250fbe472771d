package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of {@link Layout}: vector copies along contiguous runs, register transposes where the last
 * axis moves, scalar tails. (Gathers of strided elements were tried for the transposes and measured
 * no faster than the scalar loop on this Zen 5: 224 against 199 us for NCHW to NHWC of [128,16,14,14].)
 */
final class LayoutSimd {
    private LayoutSimd() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /** Rows of a transpose done per pass over the columns: their destination lines (128 x 64 bytes) stay in L1. */
    private static final int ROWS_PER_PASS = 128;

    static void rows(int rows, int len, float[] src, int s, int srs, float[] dst, int d, int drs) {
        int bound = F.loopBound(len);
        for (int r = 0; r < rows; r++, s += srs, d += drs) {
            int j = 0;
            for (; j < bound; j += F.length()) FloatVector.fromArray(F, src, s + j).intoArray(dst, d + j);
            for (; j < len; j++) dst[d + j] = src[s + j];
        }
    }

    /**
     * dst[d + i * dStride + j] = src[s + i + j * sStride] for i < p, j < len: LANES x LANES blocks transposed in
     * registers ({@link RegisterTranspose}), passes of at most ROWS_PER_PASS rows over all the columns, the edges
     * that LANES does not divide element by element.
     */
    static void transpose(int p, int len, float[] src, int s, int sStride, float[] dst, int d, int dStride) {
        if (!RegisterTranspose.AVAILABLE) {
            LayoutScalar.transpose(p, len, src, s, sStride, dst, d, dStride);
            return;
        }
        int lanes = RegisterTranspose.LANES, pFull = p / lanes * lanes, lenFull = len / lanes * lanes;
        for (int i0 = 0; i0 < pFull; i0 += ROWS_PER_PASS) {
            int count = Math.min(ROWS_PER_PASS, pFull - i0);
            for (int j = 0; j < lenFull; j += lanes) {
                RegisterTranspose.rows(src, s + i0 + j * sStride, sStride, count, dst, d + i0 * dStride + j, dStride);
            }
        }
        for (int i = 0; i < p; i++) {
            int si = s + i, di = d + i * dStride;
            for (int j = i < pFull ? lenFull : 0; j < len; j++) dst[di + j] = src[si + j * sStride];
        }
    }

    /**
     * An embedding's rows copied (System.arraycopy: the lookup runs once per step, and a Vector API loop there stays
     * C1 code, a heap vector per operation, for hundreds of steps).
     */
    static void gatherRows(int n, int rowLen, float[] table, int t, float[] indices, int io, float[] out, int o) {
        for (int i = 0; i < n; i++, o += rowLen) System.arraycopy(table, t + (int) indices[io + i] * rowLen, out, o, rowLen);
    }

    /**
     * The adjoint of {@link #gatherRows}, each row added on the elementwise ops' shared add loop, which every model
     * keeps hot: run once per step, a loop of its own stayed C1 code (the causal decoder's step: 184 KB per 10
     * steps after 400 under -Xbatch, FixedStepsAllocationTest).
     */
    static void scatterAddRows(int n, int rowLen, float[] g, int go, float[] indices, int io, int rows, float[] out,
                               int o) {
        ElementwiseSimd.fill(rows * rowLen, 0f, out, o);
        for (int i = 0; i < n; i++, go += rowLen) {
            int row = o + (int) indices[io + i] * rowLen;
            ElementwiseSimd.binaryRow(BinaryOp.ADD, rowLen, out, row, 1, g, go, 1, out, row);
        }
    }
}
