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
 * copies cost a load and a store per float; this is 24 shifts and masks and 32 permutes and blends per 64
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
            // 2 x 2 blocks between rows (0,2) (1,3) (4,6) (5,7)
            FloatVector u0 = t0.blend(t2.rearrange(SWAP2), ODD2), u2 = t0.rearrange(SWAP2).blend(t2, ODD2);
            FloatVector u1 = t1.blend(t3.rearrange(SWAP2), ODD2), u3 = t1.rearrange(SWAP2).blend(t3, ODD2);
            FloatVector u4 = t4.blend(t6.rearrange(SWAP2), ODD2), u6 = t4.rearrange(SWAP2).blend(t6, ODD2);
            FloatVector u5 = t5.blend(t7.rearrange(SWAP2), ODD2), u7 = t5.rearrange(SWAP2).blend(t7, ODD2);
            // 4 x 4 blocks between rows (0,4) (1,5) (2,6) (3,7): row q now holds column q
            u0.blend(u4.rearrange(SWAP4), ODD4).intoArray(dst, o);
            u1.blend(u5.rearrange(SWAP4), ODD4).intoArray(dst, o + stride);
            u2.blend(u6.rearrange(SWAP4), ODD4).intoArray(dst, o + 2 * stride);
            u3.blend(u7.rearrange(SWAP4), ODD4).intoArray(dst, o + 3 * stride);
            u0.rearrange(SWAP4).blend(u4, ODD4).intoArray(dst, o + 4 * stride);
            u1.rearrange(SWAP4).blend(u5, ODD4).intoArray(dst, o + 5 * stride);
            u2.rearrange(SWAP4).blend(u6, ODD4).intoArray(dst, o + 6 * stride);
            u3.rearrange(SWAP4).blend(u7, ODD4).intoArray(dst, o + 7 * stride);
        }
    }
}
