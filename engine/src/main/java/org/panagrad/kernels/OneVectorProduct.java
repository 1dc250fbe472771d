package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C (+)= A · B where C and B are one vector wide ({@link #LANES} columns, rows LANES apart) and row r of A is read
 * in place from a row table: the weight gradient of a convolution with at most one vector of output channels,
 * {@code dW^T (taps x channels) += X_taps · dY^T}, whose rows of A are runs of the padded image
 * ({@link ImplicitPatches}) and whose B is dY transposed, one vector of output channels per position. The
 * packed GEMM would compute two vectors of columns for these 6 or 16 (lenet5), and pack every patch row first.
 * Each step broadcasts one value of eight rows of A and multiplies it with the one vector of B (eight
 * accumulators: two FMA pipes of four cycles' latency); the caller pads the row table to whole blocks of
 * {@link #ROWS}.
 * <p>
 * Every element of C is its previous value (or zero) plus the steps of k in order, with fused multiply-adds, in
 * the SIMD body and in its scalar twin alike, so the two agree bit for bit; the twin computes the first
 * {@code width} columns only.
 */
final class OneVectorProduct {
    private OneVectorProduct() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /** Columns of C and B (the vector's lanes; 1 when the scalar twins run without the vector module). */
    static final int LANES = Simd.FLOAT == null ? 1 : Simd.FLOAT.length();

    /** Rows of C per block: the row table's length is a multiple of it. */
    static final int ROWS = 8;

    /** m rounded up to whole blocks of {@link #ROWS}. */
    static int paddedRows(int m) {
        return (m + ROWS - 1) / ROWS * ROWS;
    }

    /**
     * c[cOff + r LANES + j] = (accumulate ? that : 0) + the sum over p < k of a[aRows[r] + p] b[bOff + p LANES + j],
     * for r < m (a multiple of {@link #ROWS}) and j < LANES (the scalar twin: j < width).
     */
    static void multiply(int m, int k, float[] a, int[] aRows, float[] b, int bOff, float[] c, int cOff, boolean accumulate,
                         int width, boolean simd) {
        if (!simd) {
            for (int r = 0; r < m; r++) {
                for (int j = 0; j < width; j++) {
                    int ci = cOff + r * LANES + j;
                    float acc = accumulate ? c[ci] : 0f;
                    for (int p = 0; p < k; p++) acc = Math.fma(a[aRows[r] + p], b[bOff + p * LANES + j], acc);
                    c[ci] = acc;
                }
            }
            return;
        }
        for (int r = 0; r < m; r += ROWS) rows8(k, a, aRows, r, b, bOff, c, cOff + r * LANES, accumulate);
    }

    private static void rows8(int k, float[] a, int[] aRows, int r, float[] b, int bOff, float[] c, int c0, boolean accumulate) {
        int a0 = aRows[r], a1 = aRows[r + 1], a2 = aRows[r + 2], a3 = aRows[r + 3];
        int a4 = aRows[r + 4], a5 = aRows[r + 5], a6 = aRows[r + 6], a7 = aRows[r + 7];
        FloatVector c0v, c1v, c2v, c3v, c4v, c5v, c6v, c7v;
        if (accumulate) {
            c0v = FloatVector.fromArray(F, c, c0);
            c1v = FloatVector.fromArray(F, c, c0 + LANES);
            c2v = FloatVector.fromArray(F, c, c0 + 2 * LANES);
            c3v = FloatVector.fromArray(F, c, c0 + 3 * LANES);
            c4v = FloatVector.fromArray(F, c, c0 + 4 * LANES);
            c5v = FloatVector.fromArray(F, c, c0 + 5 * LANES);
            c6v = FloatVector.fromArray(F, c, c0 + 6 * LANES);
            c7v = FloatVector.fromArray(F, c, c0 + 7 * LANES);
        } else {
            c0v = c1v = c2v = c3v = c4v = c5v = c6v = c7v = FloatVector.zero(F);
        }
        for (int p = 0; p < k; p++) {
            FloatVector bv = FloatVector.fromArray(F, b, bOff + p * LANES);
            c0v = FloatVector.broadcast(F, a[a0 + p]).fma(bv, c0v);
            c1v = FloatVector.broadcast(F, a[a1 + p]).fma(bv, c1v);
            c2v = FloatVector.broadcast(F, a[a2 + p]).fma(bv, c2v);
            c3v = FloatVector.broadcast(F, a[a3 + p]).fma(bv, c3v);
            c4v = FloatVector.broadcast(F, a[a4 + p]).fma(bv, c4v);
            c5v = FloatVector.broadcast(F, a[a5 + p]).fma(bv, c5v);
            c6v = FloatVector.broadcast(F, a[a6 + p]).fma(bv, c6v);
            c7v = FloatVector.broadcast(F, a[a7 + p]).fma(bv, c7v);
        }
        c0v.intoArray(c, c0);
        c1v.intoArray(c, c0 + LANES);
        c2v.intoArray(c, c0 + 2 * LANES);
        c3v.intoArray(c, c0 + 3 * LANES);
        c4v.intoArray(c, c0 + 4 * LANES);
        c5v.intoArray(c, c0 + 5 * LANES);
        c6v.intoArray(c, c0 + 6 * LANES);
        c7v.intoArray(c, c0 + 7 * LANES);
    }
}
