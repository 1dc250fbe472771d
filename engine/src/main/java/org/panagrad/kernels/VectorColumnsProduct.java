package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C (+)= A · B where C and B are a few whole vectors wide ({@code ld = vectors LANES} columns, rows ld apart) and
 * row r of A is read in place from a row table: the weight gradient of a convolution,
 * {@code dW^T (taps x channels) += X_taps · dY^T}, whose rows of A are runs of the padded image
 * ({@link ImplicitPatches}) and whose B is dY transposed, the output channels of a position in whole vectors. The
 * packed GEMM packs every patch row and every position's channels first, per tap and image, for products of 16 to
 * 64 rows (resnet8's 32 and 64 channels ran at 64-67 GFLOP/s there, one thread). Each step broadcasts one value of
 * eight rows of A and multiplies it with two vectors of B (16 accumulators), or with one (eight: two FMA pipes of
 * four cycles' latency) for the last odd vector and with 16 vector registers, where two would spill; four vectors
 * (64 channels) take six rows at a time ({@link #rows6x4}). The caller pads the row table to whole blocks of
 * {@link #ROWS}.
 * <p>
 * Every element of C is its previous value (or zero) plus the steps of k in order, with fused multiply-adds, in
 * the SIMD body and in its scalar twin alike, so the two agree bit for bit; the twin computes the first
 * {@code width} columns only.
 */
final class VectorColumnsProduct {
    private VectorColumnsProduct() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /** Columns of a vector (1 when the scalar twins run without the vector module). */
    static final int LANES = Simd.FLOAT == null ? 1 : Simd.FLOAT.length();

    /** Rows of C per block: the row table's length is a multiple of it. */
    static final int ROWS = 8;

    /** Whether blocks are two vectors wide: 16 accumulators, two of B and a broadcast need 32 vector registers. */
    private static final boolean TWO_VECTORS = F != null && F.length() >= 16;

    /**
     * Whether columns four vectors wide (resnet8's 64 output channels) run in blocks of six rows: 24 accumulators,
     * each step's four loads of B and six broadcasts of A feeding 24 multiply-adds, where two passes of
     * {@link #rows8x2} over the same rows broadcast each value of A twice (eight broadcasts per 16 multiply-adds).
     * 29 vector registers: with 32 only.
     */
    private static final boolean FOUR_VECTORS = F != null && F.length() >= 16;

    /** Whether width columns run entirely in blocks of six rows by four vectors ({@link #rows6x4}), its fastest form. */
    static boolean inFourVectorBlocks(int width) {
        return FOUR_VECTORS && width % (4 * LANES) == 0;
    }

    /** m rounded up to whole blocks of {@link #ROWS}. */
    static int paddedRows(int m) {
        return (m + ROWS - 1) / ROWS * ROWS;
    }

    /** The columns of C and B for width of them: whole vectors. */
    static int leadingDimension(int width) {
        return (width + LANES - 1) / LANES * LANES;
    }

    /**
     * c[cOff + r ld + j] = (accumulate ? that : 0) + the sum over steps (s, q), s < segments and q < length in that
     * order, of a[aOff + aRows[r] + s aStride + q aStep] b[bOff + s bStride + q ld + j], for r < m (a multiple of
     * {@link #ROWS}) and j < ld = {@link #leadingDimension}(width) (the scalar twin: j < width). A's rows are read in
     * segments, aStep apart (the rows of an output image inside the wider rows of the padded image, at the stride),
     * B's rows in segments of length rows, bStride apart ({@code length ld}: one after another; wider: the positions
     * of a rectangle inside the output image, where a tap reads no padding).
     */
    static void multiply(int m, int segments, int length, int aStride, int aStep, float[] a, int aOff, int[] aRows, float[] b,
                         int bOff, int bStride, float[] c, int cOff, boolean accumulate, int width, boolean simd) {
        int ld = leadingDimension(width);
        if (!simd) {
            for (int r = 0; r < m; r++) {
                for (int j = 0; j < width; j++) {
                    int ci = cOff + r * ld + j;
                    float acc = accumulate ? c[ci] : 0f;
                    for (int sg = 0; sg < segments; sg++) {
                        int bi = bOff + sg * bStride + j;
                        for (int q = 0, ai = aOff + aRows[r] + sg * aStride; q < length; q++, ai += aStep, bi += ld) {
                            acc = Math.fma(a[ai], b[bi], acc);
                        }
                    }
                    c[ci] = acc;
                }
            }
            return;
        }
        // Four-vector columns in blocks of six rows first (rows up to a multiple of 24, a multiple of ROWS too), then
        // the rest in blocks of ROWS: the rows past those, and the columns past the four-vector ones.
        int quads = FOUR_VECTORS ? ld / (4 * LANES) * 4 * LANES : 0, sixes = quads == 0 ? 0 : m / 24 * 24;
        for (int j = 0; j < quads; j += 4 * LANES) {
            for (int r = 0; r < sixes; r += 6) {
                rows6x4(segments, length, aStride, aStep, a, aOff, aRows, r, b, bOff + j, bStride, ld, c, cOff + r * ld + j, accumulate);
            }
        }
        int pairs = TWO_VECTORS ? ld / (2 * LANES) * 2 * LANES : 0;
        for (int r = 0; r < m; r += ROWS) {
            int j = r < sixes ? quads : 0;
            for (; j < pairs; j += 2 * LANES) {
                rows8x2(segments, length, aStride, aStep, a, aOff, aRows, r, b, bOff + j, bStride, ld, c, cOff + r * ld + j, accumulate);
            }
            for (; j < ld; j += LANES) {
                rows8(segments, length, aStride, aStep, a, aOff, aRows, r, b, bOff + j, bStride, ld, c, cOff + r * ld + j, accumulate);
            }
        }
    }

    /** Six rows by four vectors ({@link #FOUR_VECTORS}); otherwise as {@link #rows8x2}. */
    private static void rows6x4(int segments, int length, int aStride, int aStep, float[] a, int aOff, int[] aRows, int r,
                                float[] b, int bOff, int bStride, int ld, float[] c, int c0, boolean accumulate) {
        int l = LANES;
        int a0 = aOff + aRows[r], a1 = aOff + aRows[r + 1], a2 = aOff + aRows[r + 2];
        int a3 = aOff + aRows[r + 3], a4 = aOff + aRows[r + 4], a5 = aOff + aRows[r + 5];
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
        if (accumulate) {
            c00 = FloatVector.fromArray(F, c, c0);
            c01 = FloatVector.fromArray(F, c, c0 + l);
            c02 = FloatVector.fromArray(F, c, c0 + 2 * l);
            c03 = FloatVector.fromArray(F, c, c0 + 3 * l);
            c10 = FloatVector.fromArray(F, c, c0 + ld);
            c11 = FloatVector.fromArray(F, c, c0 + ld + l);
            c12 = FloatVector.fromArray(F, c, c0 + ld + 2 * l);
            c13 = FloatVector.fromArray(F, c, c0 + ld + 3 * l);
            c20 = FloatVector.fromArray(F, c, c0 + 2 * ld);
            c21 = FloatVector.fromArray(F, c, c0 + 2 * ld + l);
            c22 = FloatVector.fromArray(F, c, c0 + 2 * ld + 2 * l);
            c23 = FloatVector.fromArray(F, c, c0 + 2 * ld + 3 * l);
            c30 = FloatVector.fromArray(F, c, c0 + 3 * ld);
            c31 = FloatVector.fromArray(F, c, c0 + 3 * ld + l);
            c32 = FloatVector.fromArray(F, c, c0 + 3 * ld + 2 * l);
            c33 = FloatVector.fromArray(F, c, c0 + 3 * ld + 3 * l);
            c40 = FloatVector.fromArray(F, c, c0 + 4 * ld);
            c41 = FloatVector.fromArray(F, c, c0 + 4 * ld + l);
            c42 = FloatVector.fromArray(F, c, c0 + 4 * ld + 2 * l);
            c43 = FloatVector.fromArray(F, c, c0 + 4 * ld + 3 * l);
            c50 = FloatVector.fromArray(F, c, c0 + 5 * ld);
            c51 = FloatVector.fromArray(F, c, c0 + 5 * ld + l);
            c52 = FloatVector.fromArray(F, c, c0 + 5 * ld + 2 * l);
            c53 = FloatVector.fromArray(F, c, c0 + 5 * ld + 3 * l);
        } else {
            c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = FloatVector.zero(F);
            c30 = c31 = c32 = c33 = c40 = c41 = c42 = c43 = c50 = c51 = c52 = c53 = c00;
        }
        // One loop over all of k, jumping to the next segment of A at the end of each.
        for (int i = 0, k = segments * length, span = length * aStep, p = 0, end = span, q = bOff; i < k; i++, p += aStep, q += ld) {
            if (p == end) {
                p += aStride - span;
                end = p + span;
                q += bStride - length * ld;
            }
            FloatVector b0 = FloatVector.fromArray(F, b, q), b1 = FloatVector.fromArray(F, b, q + l);
            FloatVector b2 = FloatVector.fromArray(F, b, q + 2 * l), b3 = FloatVector.fromArray(F, b, q + 3 * l);
            FloatVector v = FloatVector.broadcast(F, a[a0 + p]);
            c00 = v.fma(b0, c00);
            c01 = v.fma(b1, c01);
            c02 = v.fma(b2, c02);
            c03 = v.fma(b3, c03);
            v = FloatVector.broadcast(F, a[a1 + p]);
            c10 = v.fma(b0, c10);
            c11 = v.fma(b1, c11);
            c12 = v.fma(b2, c12);
            c13 = v.fma(b3, c13);
            v = FloatVector.broadcast(F, a[a2 + p]);
            c20 = v.fma(b0, c20);
            c21 = v.fma(b1, c21);
            c22 = v.fma(b2, c22);
            c23 = v.fma(b3, c23);
            v = FloatVector.broadcast(F, a[a3 + p]);
            c30 = v.fma(b0, c30);
            c31 = v.fma(b1, c31);
            c32 = v.fma(b2, c32);
            c33 = v.fma(b3, c33);
            v = FloatVector.broadcast(F, a[a4 + p]);
            c40 = v.fma(b0, c40);
            c41 = v.fma(b1, c41);
            c42 = v.fma(b2, c42);
            c43 = v.fma(b3, c43);
            v = FloatVector.broadcast(F, a[a5 + p]);
            c50 = v.fma(b0, c50);
            c51 = v.fma(b1, c51);
            c52 = v.fma(b2, c52);
            c53 = v.fma(b3, c53);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + l);
        c02.intoArray(c, c0 + 2 * l);
        c03.intoArray(c, c0 + 3 * l);
        c10.intoArray(c, c0 + ld);
        c11.intoArray(c, c0 + ld + l);
        c12.intoArray(c, c0 + ld + 2 * l);
        c13.intoArray(c, c0 + ld + 3 * l);
        c20.intoArray(c, c0 + 2 * ld);
        c21.intoArray(c, c0 + 2 * ld + l);
        c22.intoArray(c, c0 + 2 * ld + 2 * l);
        c23.intoArray(c, c0 + 2 * ld + 3 * l);
        c30.intoArray(c, c0 + 3 * ld);
        c31.intoArray(c, c0 + 3 * ld + l);
        c32.intoArray(c, c0 + 3 * ld + 2 * l);
        c33.intoArray(c, c0 + 3 * ld + 3 * l);
        c40.intoArray(c, c0 + 4 * ld);
        c41.intoArray(c, c0 + 4 * ld + l);
        c42.intoArray(c, c0 + 4 * ld + 2 * l);
        c43.intoArray(c, c0 + 4 * ld + 3 * l);
        c50.intoArray(c, c0 + 5 * ld);
        c51.intoArray(c, c0 + 5 * ld + l);
        c52.intoArray(c, c0 + 5 * ld + 2 * l);
        c53.intoArray(c, c0 + 5 * ld + 3 * l);
    }

    private static void rows8(int segments, int length, int aStride, int aStep, float[] a, int aOff, int[] aRows, int r, float[] b,
                              int bOff, int bStride, int ld, float[] c, int c0, boolean accumulate) {
        int a0 = aOff + aRows[r], a1 = aOff + aRows[r + 1], a2 = aOff + aRows[r + 2], a3 = aOff + aRows[r + 3];
        int a4 = aOff + aRows[r + 4], a5 = aOff + aRows[r + 5], a6 = aOff + aRows[r + 6], a7 = aOff + aRows[r + 7];
        FloatVector c0v, c1v, c2v, c3v, c4v, c5v, c6v, c7v;
        if (accumulate) {
            c0v = FloatVector.fromArray(F, c, c0);
            c1v = FloatVector.fromArray(F, c, c0 + ld);
            c2v = FloatVector.fromArray(F, c, c0 + 2 * ld);
            c3v = FloatVector.fromArray(F, c, c0 + 3 * ld);
            c4v = FloatVector.fromArray(F, c, c0 + 4 * ld);
            c5v = FloatVector.fromArray(F, c, c0 + 5 * ld);
            c6v = FloatVector.fromArray(F, c, c0 + 6 * ld);
            c7v = FloatVector.fromArray(F, c, c0 + 7 * ld);
        } else {
            c0v = c1v = c2v = c3v = c4v = c5v = c6v = c7v = FloatVector.zero(F);
        }
        // One loop over all of k, jumping to the next segment of A at the end of each.
        for (int i = 0, k = segments * length, span = length * aStep, p = 0, end = span, q = bOff; i < k; i++, p += aStep, q += ld) {
            if (p == end) {
                p += aStride - span;
                end = p + span;
                q += bStride - length * ld;
            }
            FloatVector bv = FloatVector.fromArray(F, b, q);
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
        c1v.intoArray(c, c0 + ld);
        c2v.intoArray(c, c0 + 2 * ld);
        c3v.intoArray(c, c0 + 3 * ld);
        c4v.intoArray(c, c0 + 4 * ld);
        c5v.intoArray(c, c0 + 5 * ld);
        c6v.intoArray(c, c0 + 6 * ld);
        c7v.intoArray(c, c0 + 7 * ld);
    }

    /** Eight rows by two vectors: each step's two loads of B and eight broadcasts of A feed 16 multiply-adds. */
    private static void rows8x2(int segments, int length, int aStride, int aStep, float[] a, int aOff, int[] aRows, int r,
                                float[] b, int bOff, int bStride, int ld, float[] c, int c0, boolean accumulate) {
        int l = LANES;
        int a0 = aOff + aRows[r], a1 = aOff + aRows[r + 1], a2 = aOff + aRows[r + 2], a3 = aOff + aRows[r + 3];
        int a4 = aOff + aRows[r + 4], a5 = aOff + aRows[r + 5], a6 = aOff + aRows[r + 6], a7 = aOff + aRows[r + 7];
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (accumulate) {
            c00 = FloatVector.fromArray(F, c, c0);
            c01 = FloatVector.fromArray(F, c, c0 + l);
            c10 = FloatVector.fromArray(F, c, c0 + ld);
            c11 = FloatVector.fromArray(F, c, c0 + ld + l);
            c20 = FloatVector.fromArray(F, c, c0 + 2 * ld);
            c21 = FloatVector.fromArray(F, c, c0 + 2 * ld + l);
            c30 = FloatVector.fromArray(F, c, c0 + 3 * ld);
            c31 = FloatVector.fromArray(F, c, c0 + 3 * ld + l);
            c40 = FloatVector.fromArray(F, c, c0 + 4 * ld);
            c41 = FloatVector.fromArray(F, c, c0 + 4 * ld + l);
            c50 = FloatVector.fromArray(F, c, c0 + 5 * ld);
            c51 = FloatVector.fromArray(F, c, c0 + 5 * ld + l);
            c60 = FloatVector.fromArray(F, c, c0 + 6 * ld);
            c61 = FloatVector.fromArray(F, c, c0 + 6 * ld + l);
            c70 = FloatVector.fromArray(F, c, c0 + 7 * ld);
            c71 = FloatVector.fromArray(F, c, c0 + 7 * ld + l);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = FloatVector.zero(F);
            c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = c00;
        }
        // One loop over all of k, jumping to the next segment of A at the end of each.
        for (int i = 0, k = segments * length, span = length * aStep, p = 0, end = span, q = bOff; i < k; i++, p += aStep, q += ld) {
            if (p == end) {
                p += aStride - span;
                end = p + span;
                q += bStride - length * ld;
            }
            FloatVector b0 = FloatVector.fromArray(F, b, q), b1 = FloatVector.fromArray(F, b, q + l);
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
            v = FloatVector.broadcast(F, a[a4 + p]);
            c40 = v.fma(b0, c40);
            c41 = v.fma(b1, c41);
            v = FloatVector.broadcast(F, a[a5 + p]);
            c50 = v.fma(b0, c50);
            c51 = v.fma(b1, c51);
            v = FloatVector.broadcast(F, a[a6 + p]);
            c60 = v.fma(b0, c60);
            c61 = v.fma(b1, c61);
            v = FloatVector.broadcast(F, a[a7 + p]);
            c70 = v.fma(b0, c70);
            c71 = v.fma(b1, c71);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + l);
        c10.intoArray(c, c0 + ld);
        c11.intoArray(c, c0 + ld + l);
        c20.intoArray(c, c0 + 2 * ld);
        c21.intoArray(c, c0 + 2 * ld + l);
        c30.intoArray(c, c0 + 3 * ld);
        c31.intoArray(c, c0 + 3 * ld + l);
        c40.intoArray(c, c0 + 4 * ld);
        c41.intoArray(c, c0 + 4 * ld + l);
        c50.intoArray(c, c0 + 5 * ld);
        c51.intoArray(c, c0 + 5 * ld + l);
        c60.intoArray(c, c0 + 6 * ld);
        c61.intoArray(c, c0 + 6 * ld + l);
        c70.intoArray(c, c0 + 7 * ld);
        c71.intoArray(c, c0 + 7 * ld + l);
    }
}
