package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = A · B for an A of few rows, with B's rows read in place from a row table ({@link Gemm#gemmRows}'s form):
 * the direct kernel of a convolution with few channels, whose product has as many rows as output channels (the
 * forward pass) or input channels (the input gradient, {@link ImplicitPatches}). The packed GEMM copies every
 * value of B into a panel before its rows of A meet it; with 6 or 16 rows of A (lenet5's convolutions) a packed
 * value of B feeds so few multiply-adds that the packing costs about as much as the product, and with resnet8's 16
 * to 64 still half of it (the packed GEMM ran its 3 x 3 convolutions at 40-55 GFLOP/s, this kernel at 95-180,
 * one thread). Here each step reads two or three vectors of B's row straight from the padded image and multiplies
 * them with eight rows of A at once (24 accumulators, with 16 lanes: 32 registers), or four (eight accumulators:
 * two FMA pipes of four cycles' latency), A's value broadcast from the weight.
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

    /**
     * Whether blocks of eight rows run on {@link #rows8x3}'s 24 accumulators: with 32 vector registers (16 lanes);
     * with 16 they would spill.
     */
    private static final boolean EIGHT_ROWS = F != null && F.length() >= 16;

    /**
     * Rows of A up to which a convolution's product runs here rather than on the packed GEMM: with eight-row
     * blocks, every channel count of resnet8 (the packed GEMM copies each value of B into a panel that at most 64
     * rows of A then use).
     */
    static final int MAX_ROWS = EIGHT_ROWS ? 64 : 16;

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
        if (EIGHT_ROWS) {
            // Blocks of three vectors, and one or two of two vectors where three do not divide the width.
            int vectors = width / F.length(), pairs = vectors % 3 == 0 ? 0 : vectors % 3 == 2 ? 1 : 2;
            int wide = width - pairs * COLUMNS;
            for (; r + 8 <= m; r += 8) {
                int j = 0;
                for (; j < wide; j += 3 * F.length()) rows8x3(k, a, aOff + r * lda, lda, b, bRows, j, c, cOff + r * ldc + j, ldc);
                for (; j < width; j += COLUMNS) rows8x2(k, a, aOff + r * lda, lda, b, bRows, j, c, cOff + r * ldc + j, ldc);
            }
        }
        if (m - r == 6 || m - r == 7) {
            for (int j = 0; j < width; j += COLUMNS) rows6(k, a, aOff + r * lda, lda, b, bRows, j, c, cOff + r * ldc + j, ldc);
            r += 6;
        }
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

    /**
     * Eight rows by three vectors: 24 accumulators, so each step's three loads of B (unaligned: a row of B starts
     * anywhere in the padded image) and eight broadcasts of A feed 24 multiply-adds, where {@link #rows4} feeds 8
     * with two loads and four broadcasts.
     */
    private static void rows8x3(int k, float[] a, int a0, int lda, float[] b, int[] bRows, int j, float[] c, int c0, int ldc) {
        int l = F.length();
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F), c42 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F), c52 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F), c62 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F), c72 = FloatVector.zero(F);
        for (int p = 0, ai = a0; p < k; p++, ai++) {
            int q = bRows[p] + j;
            FloatVector b0 = FloatVector.fromArray(F, b, q), b1 = FloatVector.fromArray(F, b, q + l), b2 = FloatVector.fromArray(F, b, q + 2 * l);
            FloatVector v = FloatVector.broadcast(F, a[ai]);
            c00 = v.fma(b0, c00);
            c01 = v.fma(b1, c01);
            c02 = v.fma(b2, c02);
            v = FloatVector.broadcast(F, a[ai + lda]);
            c10 = v.fma(b0, c10);
            c11 = v.fma(b1, c11);
            c12 = v.fma(b2, c12);
            v = FloatVector.broadcast(F, a[ai + 2 * lda]);
            c20 = v.fma(b0, c20);
            c21 = v.fma(b1, c21);
            c22 = v.fma(b2, c22);
            v = FloatVector.broadcast(F, a[ai + 3 * lda]);
            c30 = v.fma(b0, c30);
            c31 = v.fma(b1, c31);
            c32 = v.fma(b2, c32);
            v = FloatVector.broadcast(F, a[ai + 4 * lda]);
            c40 = v.fma(b0, c40);
            c41 = v.fma(b1, c41);
            c42 = v.fma(b2, c42);
            v = FloatVector.broadcast(F, a[ai + 5 * lda]);
            c50 = v.fma(b0, c50);
            c51 = v.fma(b1, c51);
            c52 = v.fma(b2, c52);
            v = FloatVector.broadcast(F, a[ai + 6 * lda]);
            c60 = v.fma(b0, c60);
            c61 = v.fma(b1, c61);
            c62 = v.fma(b2, c62);
            v = FloatVector.broadcast(F, a[ai + 7 * lda]);
            c70 = v.fma(b0, c70);
            c71 = v.fma(b1, c71);
            c72 = v.fma(b2, c72);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + l);
        c02.intoArray(c, c0 + 2 * l);
        c10.intoArray(c, c0 + ldc);
        c11.intoArray(c, c0 + ldc + l);
        c12.intoArray(c, c0 + ldc + 2 * l);
        c20.intoArray(c, c0 + 2 * ldc);
        c21.intoArray(c, c0 + 2 * ldc + l);
        c22.intoArray(c, c0 + 2 * ldc + 2 * l);
        c30.intoArray(c, c0 + 3 * ldc);
        c31.intoArray(c, c0 + 3 * ldc + l);
        c32.intoArray(c, c0 + 3 * ldc + 2 * l);
        c40.intoArray(c, c0 + 4 * ldc);
        c41.intoArray(c, c0 + 4 * ldc + l);
        c42.intoArray(c, c0 + 4 * ldc + 2 * l);
        c50.intoArray(c, c0 + 5 * ldc);
        c51.intoArray(c, c0 + 5 * ldc + l);
        c52.intoArray(c, c0 + 5 * ldc + 2 * l);
        c60.intoArray(c, c0 + 6 * ldc);
        c61.intoArray(c, c0 + 6 * ldc + l);
        c62.intoArray(c, c0 + 6 * ldc + 2 * l);
        c70.intoArray(c, c0 + 7 * ldc);
        c71.intoArray(c, c0 + 7 * ldc + l);
        c72.intoArray(c, c0 + 7 * ldc + 2 * l);
    }

    /** Eight rows by two vectors, for the blocks of a row that three vectors do not fill. */
    private static void rows8x2(int k, float[] a, int a0, int lda, float[] b, int[] bRows, int j, float[] c, int c0, int ldc) {
        int l = F.length();
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        for (int p = 0, ai = a0; p < k; p++, ai++) {
            int q = bRows[p] + j;
            FloatVector b0 = FloatVector.fromArray(F, b, q), b1 = FloatVector.fromArray(F, b, q + l);
            FloatVector v = FloatVector.broadcast(F, a[ai]);
            c00 = v.fma(b0, c00);
            c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(F, a[ai + lda]);
            c10 = v.fma(b0, c10);
            c11 = v.fma(b1, c11);
            v = FloatVector.broadcast(F, a[ai + 2 * lda]);
            c20 = v.fma(b0, c20);
            c21 = v.fma(b1, c21);
            v = FloatVector.broadcast(F, a[ai + 3 * lda]);
            c30 = v.fma(b0, c30);
            c31 = v.fma(b1, c31);
            v = FloatVector.broadcast(F, a[ai + 4 * lda]);
            c40 = v.fma(b0, c40);
            c41 = v.fma(b1, c41);
            v = FloatVector.broadcast(F, a[ai + 5 * lda]);
            c50 = v.fma(b0, c50);
            c51 = v.fma(b1, c51);
            v = FloatVector.broadcast(F, a[ai + 6 * lda]);
            c60 = v.fma(b0, c60);
            c61 = v.fma(b1, c61);
            v = FloatVector.broadcast(F, a[ai + 7 * lda]);
            c70 = v.fma(b0, c70);
            c71 = v.fma(b1, c71);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + l);
        c10.intoArray(c, c0 + ldc);
        c11.intoArray(c, c0 + ldc + l);
        c20.intoArray(c, c0 + 2 * ldc);
        c21.intoArray(c, c0 + 2 * ldc + l);
        c30.intoArray(c, c0 + 3 * ldc);
        c31.intoArray(c, c0 + 3 * ldc + l);
        c40.intoArray(c, c0 + 4 * ldc);
        c41.intoArray(c, c0 + 4 * ldc + l);
        c50.intoArray(c, c0 + 5 * ldc);
        c51.intoArray(c, c0 + 5 * ldc + l);
        c60.intoArray(c, c0 + 6 * ldc);
        c61.intoArray(c, c0 + 6 * ldc + l);
        c70.intoArray(c, c0 + 7 * ldc);
        c71.intoArray(c, c0 + 7 * ldc + l);
    }

    /**
     * Six rows by two vectors, for six or seven rows left (lenet5's six channels): 12 accumulators, where
     * {@link #rows4} and {@link #rows2} take those rows in two passes over B, the second with four accumulators,
     * too few to cover the multiply-add's latency on two pipes (lenet5's second input gradient ran at 35 GFLOP/s
     * against its forward pass's 87). 15 registers: it fits 16 as well as 32.
     */
    private static void rows6(int k, float[] a, int a0, int lda, float[] b, int[] bRows, int j, float[] c, int c0, int ldc) {
        int l = F.length();
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        for (int p = 0, ai = a0; p < k; p++, ai++) {
            int q = bRows[p] + j;
            FloatVector b0 = FloatVector.fromArray(F, b, q), b1 = FloatVector.fromArray(F, b, q + l);
            FloatVector v = FloatVector.broadcast(F, a[ai]);
            c00 = v.fma(b0, c00);
            c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(F, a[ai + lda]);
            c10 = v.fma(b0, c10);
            c11 = v.fma(b1, c11);
            v = FloatVector.broadcast(F, a[ai + 2 * lda]);
            c20 = v.fma(b0, c20);
            c21 = v.fma(b1, c21);
            v = FloatVector.broadcast(F, a[ai + 3 * lda]);
            c30 = v.fma(b0, c30);
            c31 = v.fma(b1, c31);
            v = FloatVector.broadcast(F, a[ai + 4 * lda]);
            c40 = v.fma(b0, c40);
            c41 = v.fma(b1, c41);
            v = FloatVector.broadcast(F, a[ai + 5 * lda]);
            c50 = v.fma(b0, c50);
            c51 = v.fma(b1, c51);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + l);
        c10.intoArray(c, c0 + ldc);
        c11.intoArray(c, c0 + ldc + l);
        c20.intoArray(c, c0 + 2 * ldc);
        c21.intoArray(c, c0 + 2 * ldc + l);
        c30.intoArray(c, c0 + 3 * ldc);
        c31.intoArray(c, c0 + 3 * ldc + l);
        c40.intoArray(c, c0 + 4 * ldc);
        c41.intoArray(c, c0 + 4 * ldc + l);
        c50.intoArray(c, c0 + 5 * ldc);
        c51.intoArray(c, c0 + 5 * ldc + l);
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
