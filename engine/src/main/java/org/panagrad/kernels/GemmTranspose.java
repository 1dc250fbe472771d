package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.F;
import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * Packs a panel of a transposed B (NR rows of the stored matrix, each contiguous along k) into the
 * step-major panel layout with 8 x 8 transposes in registers: eight row vectors in, three butterfly stages
 * (swap the off-diagonal 1 x 1, 2 x 2, then 4 x 4 blocks of row pairs), eight step vectors out. Scalar
 * copies cost a load and a store per float; this is 24 shifts and masks, 8 permutes and 32 blends per 64
 * floats. Only for 8-lane species (AVX2); elsewhere {@link #AVAILABLE} is false.
 */
final class GemmTranspose {
    private GemmTranspose() {}

    static final boolean AVAILABLE = LANES == 8 && NR == 16 && MR <= 8;

    // Stage 1 works on the vectors as 64-bit lanes: shifts and masks pair up the floats of two rows without
    // a lane permute. Stages 2 and 3 permute and blend.
    private static final long LOW = 0xFFFFFFFFL, HIGH = 0xFFFFFFFF00000000L;
    private static final VectorShuffle<Float> SWAP2 = AVAILABLE ? VectorShuffle.fromValues(F, 2, 3, 0, 1, 6, 7, 4, 5) : null;
    private static final VectorShuffle<Float> SWAP4 = AVAILABLE ? VectorShuffle.fromValues(F, 4, 5, 6, 7, 0, 1, 2, 3) : null;
    private static final VectorMask<Float> ODD2 = AVAILABLE
            ? VectorMask.fromValues(F, false, false, true, true, false, false, true, true) : null;
    private static final VectorMask<Float> ODD4 = AVAILABLE
            ? VectorMask.fromValues(F, false, false, false, false, true, true, true, true) : null;

    /**
     * dst[d + p * NR + j] = b[src + j * ld + p] for j < NR and p < kc / 8 * 8; returns the steps done
     * (the caller copies the rest). Every read stays inside the NR rows, so no bounds can be exceeded.
     */
    static int packPanel(float[] b, int src, int ld, int kc, float[] dst, int d) {
        int steps = kc / 8 * 8;
        for (int half = 0; half < NR; half += 8) {
            transpose(b, src + half * ld, ld, steps, dst, d + half, NR);
        }
        return steps;
    }

    /**
     * The A side: dst[d + p * rows + r] = a[src + r * ld + p] for r < rows and p < kc / 8 * 8, for rows <= 8.
     * Each transpose reads 8 rows and writes 8-float steps rows apart, so rows rows..7 must be readable (the
     * caller checks) and the last step spills 8 - rows floats past the panel, where the next panel or the
     * workspace's slack is written later.
     */
    static int packRowPanel(float[] a, int src, int ld, int kc, float[] dst, int d, int rows) {
        int steps = kc / 8 * 8;
        transpose(a, src, ld, steps, dst, d, rows);
        return steps;
    }

    /**
     * dst[o + p * stride + r] = x[s + r * ld + p] for r < 8 and p < steps (a multiple of 8): eight rows in,
     * 8 x 8 blocks transposed one after the other, each column written as 8 floats (with stride < 8 each
     * write overlaps the previous one's tail). The loop sits here, not in the callers, so the JIT keeps the
     * shuffles and masks in registers across blocks (JDK 25: 0.29 -> 0.19 ns per float from L2).
     */
    private static void transpose(float[] x, int s, int ld, int steps, float[] dst, int o, int stride) {
        for (int p = 0; p < steps; p += 8, s += 8, o += 8 * stride) {
            LongVector r0 = FloatVector.fromArray(F, x, s).reinterpretAsLongs();
            LongVector r1 = FloatVector.fromArray(F, x, s + ld).reinterpretAsLongs();
            LongVector r2 = FloatVector.fromArray(F, x, s + 2 * ld).reinterpretAsLongs();
            LongVector r3 = FloatVector.fromArray(F, x, s + 3 * ld).reinterpretAsLongs();
            LongVector r4 = FloatVector.fromArray(F, x, s + 4 * ld).reinterpretAsLongs();
            LongVector r5 = FloatVector.fromArray(F, x, s + 5 * ld).reinterpretAsLongs();
            LongVector r6 = FloatVector.fromArray(F, x, s + 6 * ld).reinterpretAsLongs();
            LongVector r7 = FloatVector.fromArray(F, x, s + 7 * ld).reinterpretAsLongs();
            // 1 x 1 blocks between rows (0,1) (2,3) (4,5) (6,7): the even floats of a row pair, then the odd
            // ones (floats are little-endian halves of the 64-bit lanes).
            FloatVector t0 = r0.and(LOW).or(r1.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
            FloatVector t1 = r0.lanewise(VectorOperators.LSHR, 32).or(r1.and(HIGH)).reinterpretAsFloats();
            FloatVector t2 = r2.and(LOW).or(r3.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
            FloatVector t3 = r2.lanewise(VectorOperators.LSHR, 32).or(r3.and(HIGH)).reinterpretAsFloats();
            FloatVector t4 = r4.and(LOW).or(r5.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
            FloatVector t5 = r4.lanewise(VectorOperators.LSHR, 32).or(r5.and(HIGH)).reinterpretAsFloats();
            FloatVector t6 = r6.and(LOW).or(r7.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
            FloatVector t7 = r6.lanewise(VectorOperators.LSHR, 32).or(r7.and(HIGH)).reinterpretAsFloats();
            // 2 x 2 blocks between rows (0,2) (1,3) (4,6) (5,7). Per pair one permute and four blends rather than
            // two permutes and two blends: JDK 17 checks a shuffle's indexes at every rearrange (about six
            // instructions), and a 128 x 784 A block packed in 37 rather than 52 us; JDK 25 ran as fast either way.
            FloatVector x0 = t0.blend(t2, ODD2), y0 = t2.blend(t0, ODD2).rearrange(SWAP2);
            FloatVector u0 = x0.blend(y0, ODD2), u2 = y0.blend(x0, ODD2);
            FloatVector x1 = t1.blend(t3, ODD2), y1 = t3.blend(t1, ODD2).rearrange(SWAP2);
            FloatVector u1 = x1.blend(y1, ODD2), u3 = y1.blend(x1, ODD2);
            FloatVector x4 = t4.blend(t6, ODD2), y4 = t6.blend(t4, ODD2).rearrange(SWAP2);
            FloatVector u4 = x4.blend(y4, ODD2), u6 = y4.blend(x4, ODD2);
            FloatVector x5 = t5.blend(t7, ODD2), y5 = t7.blend(t5, ODD2).rearrange(SWAP2);
            FloatVector u5 = x5.blend(y5, ODD2), u7 = y5.blend(x5, ODD2);
            // 4 x 4 blocks between rows (0,4) (1,5) (2,6) (3,7), the same way: row q now holds column q. Stored in
            // order, as each store may overlap the one before it (stride < 8).
            FloatVector v0 = u0.blend(u4, ODD4), w0 = u4.blend(u0, ODD4).rearrange(SWAP4);
            FloatVector v1 = u1.blend(u5, ODD4), w1 = u5.blend(u1, ODD4).rearrange(SWAP4);
            FloatVector v2 = u2.blend(u6, ODD4), w2 = u6.blend(u2, ODD4).rearrange(SWAP4);
            FloatVector v3 = u3.blend(u7, ODD4), w3 = u7.blend(u3, ODD4).rearrange(SWAP4);
            v0.blend(w0, ODD4).intoArray(dst, o);
            v1.blend(w1, ODD4).intoArray(dst, o + stride);
            v2.blend(w2, ODD4).intoArray(dst, o + 2 * stride);
            v3.blend(w3, ODD4).intoArray(dst, o + 3 * stride);
            w0.blend(v0, ODD4).intoArray(dst, o + 4 * stride);
            w1.blend(v1, ODD4).intoArray(dst, o + 5 * stride);
            w2.blend(v2, ODD4).intoArray(dst, o + 6 * stride);
            w3.blend(v3, ODD4).intoArray(dst, o + 7 * stride);
        }
    }
}
