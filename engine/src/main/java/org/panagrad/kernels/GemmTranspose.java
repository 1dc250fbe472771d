package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.F;
import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * Packs a panel of a transposed B (NR rows of the stored matrix, each contiguous along k) into the
 * step-major panel layout with 8 x 8 transposes in registers: eight row vectors in, three butterfly stages
 * (swap the off-diagonal 1 x 1, 2 x 2, then 4 x 4 blocks of row pairs with a lane permute and a blend),
 * eight step vectors out. Scalar copies cost a load and a store per float; this is 48 permutes and
 * blends per 64 floats. Only for 8-lane species (AVX2); elsewhere {@link #AVAILABLE} is false.
 */
final class GemmTranspose {
    private GemmTranspose() {}

    static final boolean AVAILABLE = LANES == 8 && NR == 16 && MR <= 8;

    private static final VectorShuffle<Float> SWAP1 = AVAILABLE ? VectorShuffle.fromValues(F, 1, 0, 3, 2, 5, 4, 7, 6) : null;
    private static final VectorShuffle<Float> SWAP2 = AVAILABLE ? VectorShuffle.fromValues(F, 2, 3, 0, 1, 6, 7, 4, 5) : null;
    private static final VectorShuffle<Float> SWAP4 = AVAILABLE ? VectorShuffle.fromValues(F, 4, 5, 6, 7, 0, 1, 2, 3) : null;
    private static final VectorMask<Float> ODD1 = AVAILABLE
            ? VectorMask.fromValues(F, false, true, false, true, false, true, false, true) : null;
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
        for (int p = 0; p < steps; p += 8) {
            for (int half = 0; half < NR; half += 8) {
                transpose8x8(b, src + half * ld + p, ld, dst, d + p * NR + half, NR);
            }
        }
        return steps;
    }

    /**
     * The A side: dst[d + p * MR + r] = a[src + r * ld + p] for r < MR and p < kc / 8 * 8, for MR <= 8.
     * Each transpose reads 8 rows and writes 8-float steps MR apart, so rows MR..7 must be readable (the
     * caller checks) and the last step spills 8 - MR floats past the panel, where the next panel or the
     * workspace's slack is written later.
     */
    static int packRowPanel(float[] a, int src, int ld, int kc, float[] dst, int d) {
        int steps = kc / 8 * 8;
        for (int p = 0; p < steps; p += 8) {
            transpose8x8(a, src + p, ld, dst, d + p * MR, MR);
        }
        return steps;
    }

    /**
     * Rows src, src + ld, ..., src + 7 ld (8 floats each) become 8-float columns written at o, o + stride,
     * ..., o + 7 stride, in that order (so with stride < 8 each write overlaps the previous one's tail).
     */
    private static void transpose8x8(float[] x, int s, int ld, float[] dst, int o, int stride) {
        FloatVector r0 = FloatVector.fromArray(F, x, s);
        FloatVector r1 = FloatVector.fromArray(F, x, s + ld);
        FloatVector r2 = FloatVector.fromArray(F, x, s + 2 * ld);
        FloatVector r3 = FloatVector.fromArray(F, x, s + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(F, x, s + 4 * ld);
        FloatVector r5 = FloatVector.fromArray(F, x, s + 5 * ld);
        FloatVector r6 = FloatVector.fromArray(F, x, s + 6 * ld);
        FloatVector r7 = FloatVector.fromArray(F, x, s + 7 * ld);
        // 1 x 1 blocks between rows (0,1) (2,3) (4,5) (6,7)
        FloatVector t0 = r0.blend(r1.rearrange(SWAP1), ODD1), t1 = r0.rearrange(SWAP1).blend(r1, ODD1);
        FloatVector t2 = r2.blend(r3.rearrange(SWAP1), ODD1), t3 = r2.rearrange(SWAP1).blend(r3, ODD1);
        FloatVector t4 = r4.blend(r5.rearrange(SWAP1), ODD1), t5 = r4.rearrange(SWAP1).blend(r5, ODD1);
        FloatVector t6 = r6.blend(r7.rearrange(SWAP1), ODD1), t7 = r6.rearrange(SWAP1).blend(r7, ODD1);
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
