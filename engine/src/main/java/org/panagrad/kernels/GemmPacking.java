package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.F;
import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import jdk.incubator.vector.FloatVector;

/**
 * Copies blocks of A and B into the order the micro-kernel reads them: panels of MR rows of A stored
 * k-major (MR values per step), panels of NR columns of B stored k-major (NR values per step). Any
 * transpose disappears here; edges are padded with zeros so every panel is full.
 */
final class GemmPacking {
    private GemmPacking() {}

    /** Rows [i0, i0 + mc) and steps [p0, p0 + kc) of A into dst, panel after panel. */
    static void packA(GemmJob job, int i0, int mc, int p0, int kc, float[] dst) {
        float[] a = job.a;
        int rs = job.aRowStride, cs = job.aColStride;
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int panel = ir * kc;
            for (int r = 0; r < MR; r++) {
                if (r >= mr) {
                    for (int p = 0; p < kc; p++) dst[panel + p * MR + r] = 0f;
                    continue;
                }
                int src = job.aOff + (i0 + ir + r) * rs + p0 * cs;
                for (int p = 0; p < kc; p++) dst[panel + p * MR + r] = a[src + p * cs];
            }
        }
    }

    /** Steps [p0, p0 + kc) and columns [j0, j0 + nc) of B into dst, panel after panel. */
    static void packB(GemmJob job, int p0, int kc, int j0, int nc, float[] dst) {
        float[] b = job.b;
        int rs = job.bRowStride, cs = job.bColStride;
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int panel = jr * kc;
            int src = job.bOff + p0 * rs + (j0 + jr) * cs;
            if (cs == 1 && nr == NR) {
                // Rows of B are contiguous: each step is two vector copies (System.arraycopy's call costs more
                // than the copy at 64 bytes, and packing B is a tenth of the time at m = 128).
                for (int p = 0; p < kc; p++) {
                    int from = src + p * rs, to = panel + p * NR;
                    FloatVector.fromArray(F, b, from).intoArray(dst, to);
                    FloatVector.fromArray(F, b, from + LANES).intoArray(dst, to + LANES);
                }
                continue;
            }
            // Column by column, so that a transposed B is read along its contiguous rows.
            for (int j = 0; j < NR; j++) {
                if (j >= nr) {
                    for (int p = 0; p < kc; p++) dst[panel + p * NR + j] = 0f;
                    continue;
                }
                int col = src + j * cs;
                for (int p = 0; p < kc; p++) dst[panel + p * NR + j] = b[col + p * rs];
            }
        }
    }
}
