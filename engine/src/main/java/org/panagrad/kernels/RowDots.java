package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = A B^T for a small C and a long k with both operands row-major along k (A m x k, B n x k): every element one
 * dot product of two contiguous rows. A convolution's per-sample weight gradients are such products, one per
 * example: lenet5's first layer dY_n (6 x 784 positions) times its patches (25 x 784) transposed. On the packed
 * GEMM each of them packs both operands (transposing B) for a 6 x 25 result that fills half of one 12 x 32 tile:
 * 7.6 GFLOP/s, a third of lenet5's exact GGN diagonal (ten such batches, one per class).
 * <p>
 * Four rows of B at a time against one row of A, four vector accumulators whose lane l sums the products at
 * p = l (mod LANES) in order of p with fused multiply-adds; then the lanes are added in order 0 to LANES - 1 and
 * the tail past the last whole vector in order of p. The scalar twin ({@link #scalar}) sums in exactly that
 * order, so the two agree bit for bit.
 */
final class RowDots {
    private RowDots() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final int LANES = F == null ? 1 : F.length();
    /** Products with k below this, or a C larger than {@link #MAX_OUTPUTS}, are left to the packed GEMM. */
    static final int MIN_K = 256;
    static final int MAX_OUTPUTS = 1024;
    private static final ThreadLocal<float[]> LANE_SUMS = ThreadLocal.withInitial(() -> new float[4 * LANES]);

    /** Whether c = a b^T is taken here: A as stored, B transposed, nothing fused, a small C and a long k. */
    static boolean applies(int m, int n, int k, GemmOperand a, GemmOperand b, GemmEpilogue epilogue) {
        return Simd.ENABLED && !a.transposed() && b.transposed() && k >= MIN_K && (long) m * n <= MAX_OUTPUTS
                && epilogue.bias() == null && !epilogue.relu() && epilogue.mask() == null;
    }

    /** c (m x n, row-major at c's offset and ld) = a b^T, where a's rows and b's rows are k floats along p. */
    static void multiply(int m, int n, int k, GemmOperand a, GemmOperand b, GemmOperand c) {
        float[] x = a.array(), y = b.array(), out = c.array(), sums = LANE_SUMS.get();
        int kFull = k / LANES * LANES;
        for (int i = 0; i < m; i++) {
            int ai = a.offset() + i * a.ld(), ci = c.offset() + i * c.ld(), j = 0;
            for (; j + 4 <= n; j += 4) {
                int b0 = b.offset() + j * b.ld(), b1 = b0 + b.ld(), b2 = b1 + b.ld(), b3 = b2 + b.ld();
                // Each accumulator its own zero: one shared zero made C2 box the vectors (FewRowsProduct, session 8).
                FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
                for (int p = 0; p < kFull; p += LANES) {
                    FloatVector va = FloatVector.fromArray(F, x, ai + p);
                    s0 = va.fma(FloatVector.fromArray(F, y, b0 + p), s0);
                    s1 = va.fma(FloatVector.fromArray(F, y, b1 + p), s1);
                    s2 = va.fma(FloatVector.fromArray(F, y, b2 + p), s2);
                    s3 = va.fma(FloatVector.fromArray(F, y, b3 + p), s3);
                }
                s0.intoArray(sums, 0);
                s1.intoArray(sums, LANES);
                s2.intoArray(sums, 2 * LANES);
                s3.intoArray(sums, 3 * LANES);
                out[ci + j] = finish(sums, 0, x, ai, y, b0, kFull, k);
                out[ci + j + 1] = finish(sums, LANES, x, ai, y, b1, kFull, k);
                out[ci + j + 2] = finish(sums, 2 * LANES, x, ai, y, b2, kFull, k);
                out[ci + j + 3] = finish(sums, 3 * LANES, x, ai, y, b3, kFull, k);
            }
            for (; j < n; j++) {
                int bj = b.offset() + j * b.ld();
                FloatVector s = FloatVector.zero(F);
                for (int p = 0; p < kFull; p += LANES) {
                    s = FloatVector.fromArray(F, x, ai + p).fma(FloatVector.fromArray(F, y, bj + p), s);
                }
                s.intoArray(sums, 0);
                out[ci + j] = finish(sums, 0, x, ai, y, bj, kFull, k);
            }
        }
    }

    /** The lane sums at sums[at...] added in lane order, then the tail p = kFull .. k - 1 in order. */
    private static float finish(float[] sums, int at, float[] x, int ai, float[] y, int bj, int kFull, int k) {
        float s = 0f;
        for (int l = 0; l < LANES; l++) s += sums[at + l];
        for (int p = kFull; p < k; p++) s = Math.fma(x[ai + p], y[bj + p], s);
        return s;
    }

    /** The scalar twin: the same sums in the same order (lanes of {@code lanes} floats), element by element. */
    static void scalar(int lanes, int m, int n, int k, GemmOperand a, GemmOperand b, GemmOperand c) {
        float[] x = a.array(), y = b.array(), out = c.array(), lane = new float[lanes];
        int kFull = k / lanes * lanes;
        for (int i = 0; i < m; i++) {
            int ai = a.offset() + i * a.ld();
            for (int j = 0; j < n; j++) {
                int bj = b.offset() + j * b.ld();
                java.util.Arrays.fill(lane, 0f);
                for (int p = 0; p < kFull; p++) lane[p % lanes] = Math.fma(x[ai + p], y[bj + p], lane[p % lanes]);
                float s = 0f;
                for (int l = 0; l < lanes; l++) s += lane[l];
                for (int p = kFull; p < k; p++) s = Math.fma(x[ai + p], y[bj + p], s);
                out[c.offset() + i * c.ld() + j] = s;
            }
        }
    }

    /** The lanes of the SIMD body, for its twin. */
    static int lanes() {
        return LANES;
    }
}
