package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.F;
import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;

/**
 * Copies blocks of A and B into the order the micro-kernel reads them: panels of MR rows of A stored
 * k-major (MR values per step), or, for a row-major A at 16 lanes and k >= 32, as rows at a fixed stride
 * ({@link #packARows}, read by the micro-kernel's row bodies); panels of NR columns of B stored k-major (NR values
 * per step). Any transpose disappears here; edges are padded with zeros so every panel is full.
 */
final class GemmPacking {
    private GemmPacking() {}

    /** Steps per block of a transposed B panel: 128 x NR floats = 8 KB written, 8 KB read. */
    private static final int TRANSPOSE_STEPS = 128;
    /** Steps per block of a row-major B dealt out to its panels: 8 rows of a 500-column B are 16 KB. */
    private static final int ROW_STEPS = 8;

    /**
     * Rows [i0, i0 + mc) and steps [p0, p0 + kc) of A into dst, panel after panel (of the heights
     * {@link BlockedGemm#panelRows} gives). Step-major, so the writes are sequential and a transposed A is
     * read along its contiguous rows (a panel's height in floats per step).
     */
    static void packA(GemmJob job, int i0, int mc, int p0, int kc, float[] dst) {
        packA(job, i0, 0, mc, mc, p0, kc, dst);
    }

    /**
     * The panels that start in rows [ir0, ir1) of the block of mc rows at i0 (ir0 a panel start; see
     * {@link BlockedGemm#panelRows}), each where {@link #packA(GemmJob, int, int, int, int, float[])} puts it.
     */
    static void packA(GemmJob job, int i0, int ir0, int ir1, int mc, int p0, int kc, float[] dst) {
        if (job.aRowStride == 1) packATransposed(job, i0, ir0, ir1, mc, p0, kc, dst);
        else packAStrided(job, i0, ir0, ir1, mc, p0, kc, dst);
    }

    /**
     * {@link #packA} for a row-major A at 16 lanes ({@link BlockedGemm#rowsOfA}): the panels that start in rows
     * [ir0, ir1) of the block of mc rows at i0, row r of the block at dst[r * A_ROW_STRIDE], its kc steps as stored
     * (one array copy per row); the rows of a last panel past mc are zeros. No transposes, and no store past a
     * panel's own rows, so parts of a parallel call may pack neighbouring panels of one buffer.
     */
    static void packARows(GemmJob job, int i0, int ir0, int ir1, int mc, int p0, int kc, float[] dst) {
        float[] a = job.a;
        int stride = BlockedGemm.A_ROW_STRIDE;
        for (int ir = ir0, h; ir < ir1; ir += h) {
            h = BlockedGemm.panelRows(ir, mc);
            for (int r = ir; r < ir + h; r++) {
                if (r < mc) System.arraycopy(a, job.aOff + (i0 + r) * job.aRowStride + p0, dst, r * stride, kc);
                else Arrays.fill(dst, r * stride, r * stride + kc, 0f);
            }
        }
    }

    private static void packAStrided(GemmJob job, int i0, int ir0, int ir1, int mc, int p0, int kc, float[] dst) {
        float[] a = job.a;
        int rs = job.aRowStride, cs = job.aColStride;
        for (int ir = ir0, h; ir < ir1; ir += h) {
            h = BlockedGemm.panelRows(ir, mc);
            int mr = Math.min(h, mc - ir);
            int src = job.aOff + (i0 + ir) * rs + p0 * cs;
            int d = ir * kc;
            int done = 0;
            // Rows contiguous along k: LANES x LANES transposes in registers (+10% on a 64 x 128 x 784 NT product at
            // 8 lanes), which read LANES rows: not for a 4-row panel at 16 lanes, three quarters of it wasted.
            // Their spill past the panel must not reach a panel another thread packs: leave the steps it would
            // reach to the copy.
            if (cs == 1 && mr == h && 2 * h >= LANES && GemmTranspose.AVAILABLE && src + (LANES - 1) * rs + kc <= a.length) {
                done = GemmTranspose.packRowPanel(a, src, rs, fenced(ir, h, ir1, mc) ? kc - (LANES - 1) / h : kc, dst, d, h);
                d += done * h;
            }
            for (int p = done; p < kc; p++) {
                int at = src + p * cs;
                for (int r = 0; r < mr; r++) dst[d + r] = a[at + r * rs];
                for (int r = mr; r < h; r++) dst[d + r] = 0f;
                d += h;
            }
        }
    }

    /**
     * {@link #packA} for a transposed A, whose values of a step (a panel's height of them) are contiguous: one
     * vector copy per step rather than one scalar copy per row (4% of a 784 x 500 x 128 TN product). Its lanes
     * past the panel's height land where the next step is written, or in the slack
     * {@link GemmWorkspace#packedA} keeps after the last panel. A panel running past mc or a copy past the
     * array's end leaves the rest to packAStrided.
     * Kept apart from packAStrided: sharing a method with it made C2 compile the strided copy 3% slower.
     */
    private static void packATransposed(GemmJob job, int i0, int ir0, int ir1, int mc, int p0, int kc, float[] dst) {
        float[] a = job.a;
        int cs = job.aColStride;
        int ir = ir0;
        for (int h; ir < ir1 && MR <= LANES; ir += h) {
            h = BlockedGemm.panelRows(ir, mc);
            int src = job.aOff + i0 + ir + p0 * cs;
            if (ir + h > mc || src + (kc - 1) * cs + LANES > a.length) break;
            // A store at step p spills LANES - h floats past the step; fenced, the steps whose spill would leave
            // the panel are copied by hand (the last one at 8 lanes; two or three at 16).
            int vectorSteps = fenced(ir, h, ir1, mc) ? Math.max(0, kc - (LANES - 1) / h) : kc;
            for (int p = 0; p < vectorSteps; p++) {
                FloatVector.fromArray(F, a, src + p * cs).intoArray(dst, ir * kc + p * h);
            }
            for (int p = vectorSteps; p < kc; p++) {
                for (int r = 0; r < h; r++) dst[ir * kc + p * h + r] = a[src + p * cs + r];
            }
        }
        if (ir < ir1) packAStrided(job, i0, ir, ir1, mc, p0, kc, dst);
    }

    /**
     * Whether the panel of h rows at ir is the last of a range [.., ir1) that another thread's range follows:
     * then no vector store may spill past it.
     */
    private static boolean fenced(int ir, int h, int ir1, int mc) {
        return ir + h >= ir1 && ir + h < mc;
    }

    /**
     * Steps [p0, p0 + kc) and columns [j0, j0 + nc) of B into dst from dOff on, panel after panel (panel q at
     * dOff + q * NR * kc).
     */
    static void packB(GemmJob job, int p0, int kc, int j0, int nc, float[] dst, int dOff) {
        float[] b = job.b;
        int rs = job.bRowStride, cs = job.bColStride;
        int fullPanels = cs == 1 ? nc / NR : 0;
        if (fullPanels > 0) {
            // Rows of B are contiguous: walk each row of the block once, left to right, and deal it out to the
            // panels in vector copies. (Walking one panel at a time over all steps read a new cache line at every
            // step, most of them twice, and packing B took 16% of a 128 x 500 x 784 product.) But where the panels
            // are a multiple of 4 KB apart (NR * kc floats: 16 KB at kc = 128, 16 lanes) they fall in the same L1
            // sets, and writing all of them at once evicted their lines half written: then ROW_STEPS rows at a
            // time, panel by panel (784 x 500 x 128 TN 1.02x). Not otherwise: at 8 lanes and kc = 392 (a 128 x 500
            // x 784 product, which packs all of B there) the blocked walk ran 0.97x.
            if (NR * kc % 1024 != 0) {
                for (int p = 0; p < kc; p++) {
                    int from = rowStart(job, p0 + p) + j0;
                    int to = dOff + p * NR;
                    for (int jp = 0; jp < fullPanels; jp++) {
                        FloatVector.fromArray(F, b, from).intoArray(dst, to);
                        FloatVector.fromArray(F, b, from + LANES).intoArray(dst, to + LANES);
                        from += NR;
                        to += NR * kc;
                    }
                }
            } else {
                for (int pb = 0; pb < kc; pb += ROW_STEPS) {
                    int pe = Math.min(kc, pb + ROW_STEPS);
                    for (int jp = 0; jp < fullPanels; jp++) {
                        int column = j0 + jp * NR, to = dOff + jp * NR * kc;
                        for (int p = pb; p < pe; p++) {
                            int from = rowStart(job, p0 + p) + column;
                            FloatVector.fromArray(F, b, from).intoArray(dst, to + p * NR);
                            FloatVector.fromArray(F, b, from + LANES).intoArray(dst, to + p * NR + LANES);
                        }
                    }
                }
            }
        }
        if (cs != 1 && rs == 1) {
            // Transposed B: column j of B is a contiguous row of the stored matrix. A full panel is transposed
            // 8 x 8 in registers where the species allows (JDK 17: +3%, JDK 25: +10% on NT products); the
            // steps left over are copied one column at a time along that row (every index affine in the
            // step, so no bounds checks in the loop), in blocks of TRANSPOSE_STEPS steps so the panel part
            // being written stays in L1.
            // The step-by-step copy, NR rows apart per load, took 18% of a 128 x 784 x 500 NT product.
            int full = nc / NR;
            for (int jp = 0; jp < full; jp++) {
                int panel = dOff + jp * NR * kc;
                int src = job.bOff + p0 + (j0 + jp * NR) * cs;
                int done = GemmTranspose.AVAILABLE ? GemmTranspose.packPanel(b, src, cs, kc, dst, panel) : 0;
                if (kc - done < LANES) {
                    // Fewer steps than a transpose takes (all of k = 10: an output layer's dY W2^T): step by
                    // step, NR columns per step, whose reads share a cache line or two per column. Column by
                    // column (loops of 10 steps writing NR floats apart), packing took a fifth of the perf samples
                    // of 128 x 500 x 10 NT at 512 bits (JDK 17).
                    for (int p = done; p < kc; p++) {
                        for (int j = 0, d = panel + p * NR, at = src + p; j < NR; j++, at += cs) dst[d + j] = b[at];
                    }
                    continue;
                }
                for (int pb = done; pb < kc; pb += TRANSPOSE_STEPS) {
                    int pe = Math.min(kc, pb + TRANSPOSE_STEPS);
                    for (int j = 0; j < NR; j++) {
                        int row = src + j * cs;
                        int d = panel + j;
                        for (int p = pb; p < pe; p++) dst[d + p * NR] = b[row + p];
                    }
                }
            }
            fullPanels = full;
        }
        // The rest (a partial panel) step by step: a transposed B is then read along NR of its contiguous
        // rows at once, and the writes are sequential. A row-major B's partial panel of at least a vector (20
        // of 500 columns) in vector copies: zeros past its columns, its first vector, then its last vector
        // over part of the first (element by element it took 784 x 32 scalar stores in a 128 x 500 x 784
        // product that reads the full panels in place).
        for (int jr = fullPanels * NR; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int d = dOff + jr * kc;
            if (cs == 1 && nr >= LANES) {
                FloatVector zero = FloatVector.zero(F);
                for (int p = 0; p < kc; p++, d += NR) {
                    int at = rowStart(job, p0 + p) + j0 + jr;
                    zero.intoArray(dst, d + LANES);
                    FloatVector.fromArray(F, b, at).intoArray(dst, d);
                    FloatVector.fromArray(F, b, at + nr - LANES).intoArray(dst, d + nr - LANES);
                }
                continue;
            }
            for (int p = 0; p < kc; p++) {
                int at = rowStart(job, p0 + p) + (j0 + jr) * cs;
                for (int j = 0; j < nr; j++) dst[d + j] = b[at + j * cs];
                for (int j = nr; j < NR; j++) dst[d + j] = 0f;
                d += NR;
            }
        }
    }

    /** Where row p of B starts (its column 0). */
    private static int rowStart(GemmJob job, int p) {
        return job.bRows != null ? job.bRows[p] : job.bOff + p * job.bRowStride;
    }
}
