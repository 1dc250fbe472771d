package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = A · B for an A of few rows, with B's rows read in place from a row table ({@link Gemm#gemmRows}'s form):
 * the direct kernel of a convolution with few channels, whose product has as many rows as output channels (the
 * forward pass) or input channels (the input gradient, {@link ImplicitPatches}). The packed GEMM copies every
 * value of B into a panel before its rows of A meet it; with 6 or 16 rows of A (lenet5's convolutions) a packed
 * value of B feeds so few multiply-adds that the packing costs about as much as the product. Here each step reads
 * two vectors of B's row straight from the padded image and multiplies them with up to four rows of A at once
 * (eight accumulators: two FMA pipes of four cycles' latency), A's value broadcast from the weight.
 * <p>
 * Every element of C is summed from zero over the steps of k in order with fused multiply-adds, in the SIMD body
 * and in its scalar twin alike, so the two agree bit for bit. The SIMD body computes whole blocks of
 * {@link #COLUMNS}: it writes each row of C up to column {@link #paddedColumns}(n) and reads each row of B as far;
 * the caller's buffers leave room for that and discard the columns past n.
 */
final class FewRowsProduct {
    private FewRowsProduct() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /** Columns of C per block: two vectors (one when the scalar twins run without the vector module). */
    static final int COLUMNS = Simd.FLOAT == null ? 1 : 2 * Simd.FLOAT.length();

    /** Rows of A up to which a convolution's product runs here rather than on the packed GEMM. */
    static final int MAX_ROWS = 16;

    /** Whether a product with m rows runs here. */
    static boolean applies(int m) {
        return m <= MAX_ROWS;
    }

    /** n rounded up to whole blocks of {@link #COLUMNS}: the columns of C that the SIMD body writes. */
    static int paddedColumns(int n) {
        return (n + COLUMNS - 1) / COLUMNS * COLUMNS;
    }

    /**
     * c[cOff + r ldc + j] = the sum over p < k of a[aOff + r lda + p] b[bRows[p] + j], for r < m and j < n (the
     * SIMD body: up to {@link #paddedColumns}(n), ldc at least that).
     */
    static void multiply(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int[] bRows, float[] c, int cOff,
                         int ldc, boolean simd) {
        if (!simd) {
            multiplyScalar(m, n, k, a, aOff, lda, b, bRows, c, cOff, ldc);
            return;
        }
        int width = paddedColumns(n);
        int r = 0;
        for (; r + 4 <= m; r += 4) {
            for (int j = 0; j < width; j += COLUMNS) rows4(k, a, aOff + r * lda, lda, b, bRows, j, c, cOff + r * ldc + j, ldc);
        }
        if (r + 2 <= m) {
            for (int j = 0; j < width; j += COLUMNS) rows2(k, a, aOff + r * lda, lda, b, bRows, j, c, cOff + r * ldc + j, ldc);
            r += 2;
        }
        if (r < m) {
            for (int j = 0; j < width; j += COLUMNS) row1(k, a, aOff + r * lda, b, bRows, j, c, cOff + r * ldc + j);
        }
    }

    /** The scalar twin: the same sums, element by element. */
    static void multiplyScalar(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int[] bRows, float[] c, int cOff,
                               int ldc) {
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) acc = Math.fma(a[aOff + r * lda + p], b[bRows[p] + j], acc);
                c[cOff + r * ldc + j] = acc;
            }
        }
    }

    private static void rows4(int k, float[] a, int a0, int lda, float[] b, int[] bRows, int j, float[] c, int c0, int ldc) {
        int lanes = F.length(), a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int p = 0; p < k; p++) {
            int q = bRows[p] + j;
            FloatVector b0 = FloatVector.fromArray(F, b, q), b1 = FloatVector.fromArray(F, b, q + lanes);
            FloatVector v = FloatVector.broadcast(F, a[a0 + p]);
            c00 = v.fma(b0, c00);
            c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(F, a[a1 + p]);
            c10 = v.fma(b0, c10);
            c11 = v.fma(b1, c11);
            v = FloatVector.broadcast(F, a[a2 + p]);
            c20 = v.fma(b0, c20);
            c21 = v.fma(b1, c21);
            v = FloatVector.broadcast(F, a[a3 + p]);
            c30 = v.fma(b0, c30);
            c31 = v.fma(b1, c31);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + lanes);
        c10.intoArray(c, c0 + ldc);
        c11.intoArray(c, c0 + ldc + lanes);
        c20.intoArray(c, c0 + 2 * ldc);
        c21.intoArray(c, c0 + 2 * ldc + lanes);
        c30.intoArray(c, c0 + 3 * ldc);
        c31.intoArray(c, c0 + 3 * ldc + lanes);
    }

    private static void rows2(int k, float[] a, int a0, int lda, float[] b, int[] bRows, int j, float[] c, int c0, int ldc) {
        int lanes = F.length(), a1 = a0 + lda;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00;
        for (int p = 0; p < k; p++) {
            int q = bRows[p] + j;
            FloatVector b0 = FloatVector.fromArray(F, b, q), b1 = FloatVector.fromArray(F, b, q + lanes);
            FloatVector v = FloatVector.broadcast(F, a[a0 + p]);
            c00 = v.fma(b0, c00);
            c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(F, a[a1 + p]);
            c10 = v.fma(b0, c10);
            c11 = v.fma(b1, c11);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + lanes);
        c10.intoArray(c, c0 + ldc);
        c11.intoArray(c, c0 + ldc + lanes);
    }

    private static void row1(int k, float[] a, int a0, float[] b, int[] bRows, int j, float[] c, int c0) {
        int lanes = F.length();
        FloatVector c00 = FloatVector.zero(F), c01 = c00;
        for (int p = 0; p < k; p++) {
            int q = bRows[p] + j;
            FloatVector v = FloatVector.broadcast(F, a[a0 + p]);
            c00 = v.fma(FloatVector.fromArray(F, b, q), c00);
            c01 = v.fma(FloatVector.fromArray(F, b, q + lanes), c01);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + lanes);
    }
}
