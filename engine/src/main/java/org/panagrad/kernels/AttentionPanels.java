package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused attention forward of the entries that take the packed path ({@link AttentionSimd#usesPackedGemm}: 128
 * to 1024 keys, head dims from 32), on the GEMM's micro-kernel, one panel of MR query rows at a time against whole
 * rows of keys. Per block of query rows, K^T is packed into NR-key panels and scale * Q into MR-row panels, once;
 * then each row panel takes its scores against all keys (causal: up to its last row) straight from the
 * micro-kernel's registers into MR rows of scores (12 KB at 256 keys, in L1), each row masked, exponentiated against
 * its own maximum and summed there, and P V (V read in place) into the output, each row divided by its sum on the
 * way out. Only one panel's scores exist at a time and every pass over them stays in L1, where GEMM calls per block
 * (t256's forward before) wrote 256 rows of scores to L2, read them twice, and packed both operands of both products.
 * A panel's rows go through the same FMAs in the same order whichever panel holds them, so a row's bits depend on
 * the sizes and the block's rows only.
 */
final class AttentionPanels {
    private AttentionPanels() {}

    private static final VectorSpecies<Float> F = GemmMicroKernel.F;

    /** Floats of attention workspace one block needs: V's last partial panel, one panel's scores, their sums' inverses. */
    static int workspace(AttentionDims a) {
        return (a.dv() % NR == 0 ? 0 : a.tk() * NR) + MR * keyPanels(a.tk()) * NR + MR;
    }

    private static int keyPanels(int keys) {
        return (keys + NR - 1) / NR;
    }

    /**
     * Query rows [i0, i1) of entry b (q at qb, k at kb, v at vb, out at ob), w the attention workspace; the packed
     * operands and the tile live in this thread's GEMM workspace, idle while a unit runs.
     */
    static void forward(AttentionDims a, AttentionMaskLayout mask, int b, int i0, int i1, float[] q, int qb,
                        float[] k, int kb, float[] v, int vb, float[] out, int ob, float[] w) {
        int d = a.d(), dv = a.dv(), rows = i1 - i0;
        int tk = a.causal() ? Math.min(a.tk(), i1) : a.tk(), sw = keyPanels(tk) * NR;
        GemmWorkspace ws = GemmWorkspace.current();
        float[] qs = ws.packedA((rows + MR - 1) / MR * MR * d), kt = ws.packedB(sw * d), tile = ws.tile;
        int vPanel = 0, s = dv % NR == 0 ? 0 : tk * NR, inv = s + MR * sw;
        GemmJob job = ws.job;
        try {
            job.configure(false, true, rows, tk, d, 1f, q, qb, d, k, kb, d, 0f, w, s, sw, null, 0, false, null, 0, 1);
            GemmPacking.packA(job, i0, rows, 0, d, qs);
            GemmPacking.packB(job, 0, d, 0, tk, kt, 0);
            if (s > 0) { // V's last columns, fewer than a panel: packed, zero-padded (the full panels are read in place)
                job.configure(false, false, rows, dv, tk, 1f, q, qb, d, v, vb, dv, 0f, w, s, sw, null, 0, false, null, 0, 1);
                GemmPacking.packB(job, 0, tk, dv / NR * NR, dv % NR, w, vPanel);
            }
        } finally {
            job.release();
        }
        int packedRows = 0;
        for (int ir = 0; ir < rows; ir += BlockedGemm.panelRows(ir, rows)) packedRows = ir + BlockedGemm.panelRows(ir, rows);
        scale(qs, packedRows * d, a.scale());
        for (int ir = 0, h; ir < rows; ir += h) {
            h = BlockedGemm.panelRows(ir, rows);
            int r0 = i0 + ir, n = Math.min(h, rows - ir), keys = a.causal() ? Math.min(tk, r0 + n) : tk;
            for (int jp = 0, panels = keyPanels(keys); jp < panels; jp++) {
                if (h == MR) {
                    GemmMicroKernel.multiplyPackedInto(d, qs, ir * d, kt, jp * NR * d, w, s + jp * NR, sw, null, 0);
                } else {
                    GemmMicroKernel.multiplyPacked(h, d, qs, ir * d, kt, jp * NR * d, NR, tile);
                    copyRows(tile, n, w, s + jp * NR, sw);
                }
            }
            for (int r = 0; r < n; r++) {
                int at = s + r * sw;
                float max = mask == null && !a.causal() ? rowMax(w, at, keys) : AttentionSimd.maskRow(a, mask, b, r0 + r, 0, keys, w, at);
                w[inv + r] = 1f / VectorMath.expNonPositive(keys, max, w, at, w, at);
            }
            // P V: MR rows of probabilities read in place (past n, rows of an earlier panel: computed, never stored).
            // On a packed P the kernel ran P V in 629-680 us against 982-1,031 in place (t256, alone), but packing
            // P through GemmTranspose's 16 x 16 transposes took more than that (37% of the forward's samples, JFR).
            for (int jr = 0; jr < dv; jr += NR) {
                boolean whole = jr + NR <= dv;
                GemmMicroKernel.multiply(keys, w, s, sw, 1, whole ? v : w, whole ? vb + jr : vPanel, whole ? dv : NR, tile);
                storeRows(tile, n, Math.min(NR, dv - jr), w, inv, out, ob + r0 * dv + jr, dv);
            }
        }
    }

    /**
     * The maximum of w[at, at + n): four vector chains (one chain and its reduction, maskRow's unmasked path, took 118
     * us of t256's forward).
     */
    private static float rowMax(float[] w, int at, int n) {
        FloatVector m0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), m1 = m0, m2 = m0, m3 = m0;
        int j = 0;
        for (; j + 4 * LANES <= n; j += 4 * LANES) {
            m0 = m0.max(FloatVector.fromArray(F, w, at + j));
            m1 = m1.max(FloatVector.fromArray(F, w, at + j + LANES));
            m2 = m2.max(FloatVector.fromArray(F, w, at + j + 2 * LANES));
            m3 = m3.max(FloatVector.fromArray(F, w, at + j + 3 * LANES));
        }
        for (; j + LANES <= n; j += LANES) m0 = m0.max(FloatVector.fromArray(F, w, at + j));
        float max = m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) max = Math.max(max, w[at + j]);
        return max;
    }

    /** x[0, n) *= scale. */
    private static void scale(float[] x, int n, float scale) {
        int i = 0;
        for (; i < F.loopBound(n); i += LANES) FloatVector.fromArray(F, x, i).mul(scale).intoArray(x, i);
        for (; i < n; i++) x[i] *= scale;
    }

    /** The first n rows of a tile into rows of dst (NR floats each, ld apart) from at. */
    private static void copyRows(float[] tile, int n, float[] dst, int at, int ld) {
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < NR; c += LANES) FloatVector.fromArray(F, tile, r * NR + c).intoArray(dst, at + r * ld + c);
        }
    }

    /** Row r < n of the tile (its first cols floats) times w[inv + r] into out at row + r * ld. */
    private static void storeRows(float[] tile, int n, int cols, float[] w, int inv, float[] out, int row, int ld) {
        for (int r = 0; r < n; r++) {
            float x = w[inv + r];
            int c = 0, to = row + r * ld;
            for (; c + LANES <= cols; c += LANES) FloatVector.fromArray(F, tile, r * NR + c).mul(x).intoArray(out, to + c);
            for (; c < cols; c++) out[to + c] = tile[r * NR + c] * x;
        }
    }
}
