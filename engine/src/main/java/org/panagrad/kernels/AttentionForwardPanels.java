package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.F;
import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The unmasked packed forward (causal or not) with the scores transposed: per panel of NR query rows, S^T = K Q^T
 * [keys, NR] (keys down, queries across), so that the panel is exactly a packed B panel of the second product
 * out^T = V^T P^T, and every step of the softmax is a vertical, lane-wise one (a column's maximum and sum are
 * vector maxima and sums over the key rows, no lane reductions). Both products are the GEMM's micro-kernel
 * ({@link GemmMicroKernel#multiplyPacked}) on operands packed here once per unit: K as A panels (MR keys, d steps),
 * V^T as A panels (MR value columns, one step per key), Q^T one NR-query panel at a time. The panel's scores
 * (tk x NR floats, 32 KB at T = 256 on AVX-512) stay in L1 from the first product to the second, instead of
 * a [rows, tk] block of scores going through L2 and being packed again for P V (the row-major path,
 * {@link AttentionSimd#usesPackedGemm}, ran the two GEMMs at 134 and 168 GFLOP/s at t256).
 * A query's column is computed in its own lane with the same sequence of operations whatever panel or unit it is
 * in, so the bits do not depend on the thread count or the unit size. Causal: a panel takes the keys up to its last
 * row; the scores of keys past a column's query are -inf, exponentiated to exactly 0.
 */
final class AttentionForwardPanels {
    private AttentionForwardPanels() {}

    /** Whether a call takes this path: the packed sizes ({@link AttentionSimd#usesPackedGemm}) without a mask. */
    static boolean applies(AttentionDims a, AttentionMaskLayout mask) {
        return mask == null && AttentionSimd.usesPackedGemm(a);
    }

    /** Floats of workspace: K and V^T packed (with a vector of slack each), one Q^T panel, its scores, its sums. */
    static int workspace(AttentionDims a) {
        int keys = roundUp(a.tk(), MR), values = roundUp(a.dv(), MR);
        return keys * a.d() + LANES + values * a.tk() + LANES + NR * a.d() + a.tk() * NR + NR;
    }

    /** Query rows [from, to) of batch entry b (q, k, v and out at the entry's offsets). */
    static void rows(AttentionDims a, int from, int to, float[] q, int qb, float[] k, int kb, float[] v, int vb,
                     float[] out, int ob, float[] w) {
        int d = a.d(), dv = a.dv();
        // The keys any row of the unit sees: causal rows stop at their diagonal.
        int keys = a.causal() ? Math.min(a.tk(), to) : a.tk();
        int kPacked = 0, vPacked = kPacked + roundUp(a.tk(), MR) * d + LANES;
        int qPanel = vPacked + roundUp(dv, MR) * a.tk() + LANES, scores = qPanel + NR * d;
        int inv = scores + a.tk() * NR;
        float[] tile = GemmWorkspace.current().tile;
        packKeys(k, kb, keys, d, w, kPacked);
        packValues(v, vb, keys, dv, w, vPacked);
        for (int j0 = from; j0 < to; j0 += NR) {
            int nq = Math.min(NR, to - j0), panelKeys = a.causal() ? Math.min(a.tk(), j0 + nq) : a.tk();
            packQueries(q, qb + j0 * d, nq, d, w, qPanel);
            scores(a, j0, panelKeys, keys, w, kPacked, qPanel, scores, inv, tile);
            softmaxColumns(panelKeys, w, scores, inv);
            values(panelKeys, keys, dv, w, vPacked, scores, tile, inv, out, ob + j0 * dv, nq);
        }
    }

    /**
     * The panel's scaled scores, key rows [0, keys) of NR queries at w[s..], the first product's tiles scaled as they
     * are copied; causal, the keys past each column's query set to -inf. Then each row minus its column's maximum
     * (the maxima kept at w[max..max + NR) while the tiles come).
     */
    private static void scores(AttentionDims a, int j0, int keys, int packedKeys, float[] w, int kPacked, int qPanel,
                               int s, int max, float[] tile) {
        java.util.Arrays.fill(w, max, max + NR, Float.NEGATIVE_INFINITY);
        for (int ir = 0, h; ir < keys; ir += h) {
            h = BlockedGemm.panelRows(ir, packedKeys);
            GemmMicroKernel.multiplyPacked(h, a.d(), w, kPacked + ir * a.d(), w, qPanel, NR, tile);
            copyTile(a, j0, ir, Math.min(h, keys - ir), tile, w, s, max);
        }
        FloatVector max0 = FloatVector.fromArray(F, w, max), max1 = FloatVector.fromArray(F, w, max + LANES);
        for (int at = s, end = s + keys * NR; at < end; at += NR) {
            FloatVector.fromArray(F, w, at).sub(max0).intoArray(w, at);
            FloatVector.fromArray(F, w, at + LANES).sub(max1).intoArray(w, at + LANES);
        }
    }

    /**
     * The tile's rows (keys ir..ir + rows) scaled into the panel's scores, causal keys hidden, the column maxima
     * updated. No vector lives across the micro-kernel's call (C2 boxed those that did: 6 MB per t256 call).
     */
    private static void copyTile(AttentionDims a, int j0, int ir, int rows, float[] tile, float[] w, int s, int max) {
        FloatVector scale = FloatVector.broadcast(F, a.scale());
        FloatVector max0 = FloatVector.fromArray(F, w, max), max1 = FloatVector.fromArray(F, w, max + LANES);
        for (int r = 0; r < rows; r++) {
            FloatVector x0 = FloatVector.fromArray(F, tile, r * NR).mul(scale);
            FloatVector x1 = FloatVector.fromArray(F, tile, r * NR + LANES).mul(scale);
            int key = ir + r;
            if (a.causal() && key > j0) {
                // Query j0 + lane sees this key only if key <= j0 + lane.
                FloatVector lane = FloatVector.fromArray(F, GemmMicroKernel.LANE_INDEX, 0);
                x0 = x0.blend(Float.NEGATIVE_INFINITY, lane.compare(VectorOperators.LT, key - j0));
                x1 = x1.blend(Float.NEGATIVE_INFINITY, lane.compare(VectorOperators.LT, key - j0 - LANES));
            }
            x0.intoArray(w, s + key * NR);
            x1.intoArray(w, s + key * NR + LANES);
            // The loop-carried maxima never a receiver: C2 boxes a vector phi it reaches by a profiled call.
            max0 = x0.max(max0);
            max1 = x1.max(max1);
        }
        max0.intoArray(w, max);
        max1.intoArray(w, max + LANES);
    }

    /** The shifted scores exponentiated in place, and the inverses of their columns' sums at w[inv..inv + NR). */
    private static void softmaxColumns(int keys, float[] w, int s, int inv) {
        VectorMath.expNonPositive(keys * NR, 0f, w, s, w, s);
        FloatVector zero = FloatVector.zero(F), sum0 = zero, sum1 = zero;
        for (int at = s, end = s + keys * NR; at < end; at += NR) {
            sum0 = FloatVector.fromArray(F, w, at).add(sum0);
            sum1 = FloatVector.fromArray(F, w, at + LANES).add(sum1);
        }
        FloatVector one = FloatVector.broadcast(F, 1f);
        one.div(sum0).intoArray(w, inv);
        one.div(sum1).intoArray(w, inv + LANES);
    }

    /**
     * out^T = V^T P^T for the panel, tile by tile of MR value columns, each divided by its query's sum and written
     * transposed into the nq real query rows of out (rows of dv at o).
     */
    private static void values(int keys, int packedKeys, int dv, float[] w, int vPacked, int s, float[] tile, int inv,
                               float[] out, int o, int nq) {
        for (int ir = 0, h; ir < dv; ir += h) {
            h = BlockedGemm.panelRows(ir, dv);
            GemmMicroKernel.multiplyPacked(h, keys, w, vPacked + ir * packedKeys, w, s, NR, tile);
            FloatVector inv0 = FloatVector.fromArray(F, w, inv), inv1 = FloatVector.fromArray(F, w, inv + LANES);
            int rows = Math.min(h, dv - ir);
            for (int r = 0; r < rows; r++) {
                FloatVector.fromArray(F, tile, r * NR).mul(inv0).intoArray(tile, r * NR);
                FloatVector.fromArray(F, tile, r * NR + LANES).mul(inv1).intoArray(tile, r * NR + LANES);
            }
            for (int j = 0; j < nq; j++) {
                for (int r = 0, at = o + j * dv + ir; r < rows; r++) out[at + r] = tile[r * NR + j];
            }
        }
    }

    /**
     * Keys [0, keys) of k[kb..] ([tk, d]) as A panels at w[dst..]: panel of h keys at ir * d, d steps of h values
     * (panel heights of {@link BlockedGemm#panelRows} over the keys; a short last panel zero-padded).
     */
    private static void packKeys(float[] k, int kb, int keys, int d, float[] w, int dst) {
        for (int ir = 0, h; ir < keys; ir += h) {
            h = BlockedGemm.panelRows(ir, keys);
            int rows = Math.min(h, keys - ir), panel = dst + ir * d;
            for (int r = 0; r < rows; r++) {
                for (int p = 0, at = kb + (ir + r) * d; p < d; p++) w[panel + p * h + r] = k[at + p];
            }
            for (int r = rows; r < h; r++) {
                for (int p = 0; p < d; p++) w[panel + p * h + r] = 0f;
            }
        }
    }

    /**
     * V^T for keys [0, keys) as A panels at w[dst..]: panel of h value columns at ir * keys, one step per key, each
     * step the h contiguous values of that key's row.
     */
    private static void packValues(float[] v, int vb, int keys, int dv, float[] w, int dst) {
        for (int ir = 0, h; ir < dv; ir += h) {
            h = BlockedGemm.panelRows(ir, dv);
            int rows = Math.min(h, dv - ir), panel = dst + ir * keys;
            for (int p = 0; p < keys; p++) {
                int at = vb + p * dv + ir, to = panel + p * h;
                for (int r = 0; r < rows; r++) w[to + r] = v[at + r];
                for (int r = rows; r < h; r++) w[to + r] = 0f;
            }
        }
    }

    /**
     * Q^T for nq query rows from q[qr..] as one B panel at w[dst..]: d steps of NR queries, the columns past nq
     * zero (their scores are computed and never written out).
     */
    private static void packQueries(float[] q, int qr, int nq, int d, float[] w, int dst) {
        int done = 0;
        if (nq == NR && GemmTranspose.AVAILABLE) done = GemmTranspose.packPanel(q, qr, d, d, w, dst);
        for (int p = done; p < d; p++) {
            int at = dst + p * NR;
            for (int j = 0; j < nq; j++) w[at + j] = q[qr + j * d + p];
            for (int j = nq; j < NR; j++) w[at + j] = 0f;
        }
    }

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }
}
