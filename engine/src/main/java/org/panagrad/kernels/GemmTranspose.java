package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

/**
 * The GEMM's packing by LANES x LANES transposes in registers ({@link RegisterTranspose}): a panel of a transposed B
 * (NR rows of the stored matrix, each contiguous along k) into the step-major panel layout, and a panel of A's
 * rows into the column-major layout of the micro-kernel. Scalar copies cost a load and a store per float; an
 * 8 x 8 block is 24 shifts and masks, 8 permutes and 32 blends per 64 floats, a 16 x 16 block 48, 24 and 96 per
 * 256. For 8- and 16-lane species (AVX2, AVX-512); elsewhere {@link #AVAILABLE} is false and the callers copy.
 */
final class GemmTranspose {
    private GemmTranspose() {}

    static final boolean AVAILABLE = RegisterTranspose.AVAILABLE && NR % LANES == 0 && MR <= LANES;

    /**
     * dst[d + p * NR + j] = b[src + j * ld + p] for j < NR and p < kc / LANES * LANES; returns the steps done
     * (the caller copies the rest). Every read stays inside the NR rows, so no bounds can be exceeded.
     */
    static int packPanel(float[] b, int src, int ld, int kc, float[] dst, int d) {
        int steps = kc / LANES * LANES;
        for (int part = 0; part < NR; part += LANES) {
            transpose(b, src + part * ld, ld, steps, dst, d + part, NR);
        }
        return steps;
    }

    /**
     * The A side: dst[d + p * rows + r] = a[src + r * ld + p] for r < rows and p < kc / LANES * LANES, for
     * rows <= LANES. Each transpose reads LANES rows and writes LANES-float steps rows apart, so rows
     * rows..LANES-1 must be readable (the caller checks) and the last step spills LANES - rows floats past the
     * panel, where the next panel or the workspace's slack is written later.
     */
    static int packRowPanel(float[] a, int src, int ld, int kc, float[] dst, int d, int rows) {
        int steps = kc / LANES * LANES;
        transpose(a, src, ld, steps, dst, d, rows);
        return steps;
    }

    /** dst[o + p * stride + r] = x[s + r * ld + p] for r < LANES and p < steps (a multiple of LANES). */
    private static void transpose(float[] x, int s, int ld, int steps, float[] dst, int o, int stride) {
        RegisterTranspose.rows(x, s, ld, steps, dst, o, stride);
    }
}
