package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused attention's second order in vectors: per batch entry, the VJP of the fused backward (dq, dk, dv of
 * output gradient g) for the cotangent (aq, ak, av) — by the symmetry of second derivatives, the tangents of the
 * backward and of the forward along (aq, ak, av) — as {@link Attention#secondOrder} defines it. Keys, values, ak
 * and av are transposed into the workspace ([width, paddedKeys] each, as {@link AttentionBackwardSimd} does), so
 * that the four score-shaped rows P, A = g V^T, B = aq K^T + Q ak^T and C = g av^T are vectors over keys; one pass
 * over each row turns them into scale dS, the gradient of dP and scale sBar; then the seven products
 * ({@link AttentionRowProducts#times}) give the outputs (five without gBar, for a negative gBarOff). Where the
 * backward takes the packed GEMM (long non-causal entries), so do the second order's products, and nothing is
 * transposed.
 */
final class AttentionSecondOrderSimd {
    private AttentionSecondOrderSimd() {}

    private static final VectorSpecies<Float> F = VectorMath.F;

    static void secondOrder(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                            float[] v, int vOff, float[] g, int gOff, float[] t, int aqOff, int akOff, int avOff,
                            float[] out, int qBarOff, int kBarOff, int vBarOff, int gBarOff, float[] w, int b0, int b1) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), kp = a.paddedKeys();
        int kt = 0, vt = d * kp, akt = vt + dv * kp, avt = akt + d * kp, p = avt + dv * kp;
        int ra = p + tq * kp, rb = ra + tq * kp, rc = rb + tq * kp;
        int keysToRow = a.causal() ? AttentionRowProducts.KEYS_TO_ROW : AttentionRowProducts.ALL;
        int toRow = a.causal() ? AttentionRowProducts.INNER_TO_ROW : AttentionRowProducts.ALL;
        int fromRow = a.causal() ? AttentionRowProducts.INNER_FROM_ROW : AttentionRowProducts.ALL;
        boolean packed = AttentionBackwardSimd.usesPackedGemm(a);
        for (int b = b0; b < b1; b++) {
            int qb = qOff + b * tq * d, kb = kOff + b * tk * d, vb = vOff + b * tk * dv, gb = gOff + b * tq * dv;
            int aqb = aqOff + b * tq * d, akb = akOff + b * tk * d, avb = avOff + b * tk * dv;
            int qo = qBarOff + b * tq * d, ko = kBarOff + b * tk * d, vo = vBarOff + b * tk * dv;
            int go = gBarOff < 0 ? -1 : gBarOff + b * tq * dv;
            if (packed) {
                packedEntry(a, mask, b, q, qb, k, kb, v, vb, g, gb, t, aqb, akb, avb, out, qo, ko, vo, go, w, p);
                continue;
            }
            AttentionBackwardSimd.transpose(k, kb, tk, d, w, kt, kp);
            AttentionBackwardSimd.transpose(v, vb, tk, dv, w, vt, kp);
            AttentionBackwardSimd.transpose(t, akb, tk, d, w, akt, kp);
            AttentionBackwardSimd.transpose(t, avb, tk, dv, w, avt, kp);
            AttentionRowProducts.times(q, qb, d, 1, tq, d, w, kt, kp, kp, w, p, kp, keysToRow, false);
            boolean blind = AttentionBackwardSimd.rowPass(a, mask, b, w, p, -1);
            AttentionRowProducts.times(g, gb, dv, 1, tq, dv, w, vt, kp, kp, w, ra, kp, keysToRow, false);
            AttentionRowProducts.times(t, aqb, d, 1, tq, d, w, kt, kp, kp, w, rb, kp, keysToRow, false);
            AttentionRowProducts.times(q, qb, d, 1, tq, d, w, akt, kp, kp, w, rb, kp, keysToRow, true);
            AttentionRowProducts.times(g, gb, dv, 1, tq, dv, w, avt, kp, kp, w, rc, kp, keysToRow, false);
            for (int i = 0; i < tq; i++) {
                rows(w, p + i * kp, ra + i * kp, rb + i * kp, rc + i * kp, AttentionRowProducts.width(a, i), a.scale());
            }
            // qBar = scale (dS ak + sBar K), kBar = scale (dS^T aq + sBar^T Q), vBar = dPbar^T g, gBar = P av + dPbar V.
            AttentionRowProducts.times(w, ra, kp, 1, tq, tk, t, akb, d, d, out, qo, d, toRow, false);
            AttentionRowProducts.times(w, rc, kp, 1, tq, tk, k, kb, d, d, out, qo, d, toRow, true);
            AttentionRowProducts.times(w, ra, 1, kp, tk, tq, t, aqb, d, d, out, ko, d, fromRow, false);
            AttentionRowProducts.times(w, rc, 1, kp, tk, tq, q, qb, d, d, out, ko, d, fromRow, true);
            AttentionRowProducts.times(w, rb, 1, kp, tk, tq, g, gb, dv, dv, out, vo, dv, fromRow, false);
            if (blind) AttentionBackwardSimd.keysUnseen(out, ko, tk * d, vo, tk * dv);
            if (gBarOff < 0) continue;
            AttentionRowProducts.times(w, p, kp, 1, tq, tk, t, avb, dv, dv, out, go, dv, toRow, false);
            AttentionRowProducts.times(w, rb, kp, 1, tq, tk, v, vb, dv, dv, out, go, dv, toRow, true);
        }
    }

    /**
     * One entry by packed GEMMs, where the backward takes them ({@link AttentionBackwardSimd#usesPackedGemm}): the
     * four score-shaped rows P, A, B and C (K, V, ak and av read transposed in place; zero past tk), the same row
     * pass, then the seven products, a sum of two products as a second GEMM adding into the first's output. Called
     * inside a pool part, each GEMM runs on its caller's thread.
     */
    private static void packedEntry(AttentionDims a, AttentionMaskLayout mask, int b, float[] q, int qb, float[] k,
                                    int kb, float[] v, int vb, float[] g, int gb, float[] t, int aqb, int akb, int avb,
                                    float[] out, int qo, int ko, int vo, int go, float[] w, int p) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), kp = a.paddedKeys();
        int ra = p + tq * kp, rb = ra + tq * kp, rc = rb + tq * kp;
        Gemm.gemm(false, true, tq, tk, d, 1f, q, qb, d, k, kb, d, 0f, w, p, kp, null, 0, false, null, 0);
        Gemm.gemm(false, true, tq, tk, dv, 1f, g, gb, dv, v, vb, dv, 0f, w, ra, kp, null, 0, false, null, 0);
        Gemm.gemm(false, true, tq, tk, d, 1f, t, aqb, d, k, kb, d, 0f, w, rb, kp, null, 0, false, null, 0);
        Gemm.gemm(false, true, tq, tk, d, 1f, q, qb, d, t, akb, d, 1f, w, rb, kp, null, 0, false, null, 0);
        Gemm.gemm(false, true, tq, tk, dv, 1f, g, gb, dv, t, avb, dv, 0f, w, rc, kp, null, 0, false, null, 0);
        for (int i = 0; i < tq; i++) {
            int pi = p + i * kp, ai = ra + i * kp, bi = rb + i * kp, ci = rc + i * kp;
            for (int j = tk; j < kp; j++) w[pi + j] = w[ai + j] = w[bi + j] = w[ci + j] = 0f;
        }
        // The row pass and rows are compilations of their own (above C2's FreqInlineSize): no vector value is created
        // in this method, whose GEMM drivers C2 may inline (AttentionBackwardSimd#packedEntries). Whether a row sees
        // no key is not needed: not causal, its NaN probabilities meet every key in the products.
        AttentionBackwardSimd.rowPass(a, mask, b, w, p, -1);
        for (int i = 0; i < tq; i++) rows(w, p + i * kp, ra + i * kp, rb + i * kp, rc + i * kp, kp, a.scale());
        // qBar = scale (dS ak + sBar K), kBar = scale (dS^T aq + sBar^T Q), vBar = dPbar^T g, gBar = P av + dPbar V.
        Gemm.gemm(false, false, tq, d, tk, 1f, w, ra, kp, t, akb, d, 0f, out, qo, d, null, 0, false, null, 0);
        Gemm.gemm(false, false, tq, d, tk, 1f, w, rc, kp, k, kb, d, 1f, out, qo, d, null, 0, false, null, 0);
        Gemm.gemm(true, false, tk, d, tq, 1f, w, ra, kp, t, aqb, d, 0f, out, ko, d, null, 0, false, null, 0);
        Gemm.gemm(true, false, tk, d, tq, 1f, w, rc, kp, q, qb, d, 1f, out, ko, d, null, 0, false, null, 0);
        Gemm.gemm(true, false, tk, dv, tq, 1f, w, rb, kp, g, gb, dv, 0f, out, vo, dv, null, 0, false, null, 0);
        if (go < 0) return;
        Gemm.gemm(false, false, tq, dv, tk, 1f, w, p, kp, t, avb, dv, 0f, out, go, dv, null, 0, false, null, 0);
        Gemm.gemm(false, false, tq, dv, tk, 1f, w, rb, kp, v, vb, dv, 1f, out, go, dv, null, 0, false, null, 0);
    }

    /**
     * One row (width a whole number of vectors) of P, A = dP, B = (aq K^T + Q ak^T) and C = g av^T into
     * A = scale dS, B = dPbar and C = scale sBar, as {@link Attention#secondOrder} defines them.
     */
    private static void rows(float[] w, int pr, int ar, int br, int cr, int width, float scale) {
        int lanes = F.length();
        FloatVector pa = FloatVector.zero(F), pb = pa;
        for (int j = 0; j < width; j += lanes) {
            FloatVector pj = FloatVector.fromArray(F, w, pr + j);
            pa = pj.fma(FloatVector.fromArray(F, w, ar + j), pa);
            pb = pj.fma(FloatVector.fromArray(F, w, br + j), pb);
        }
        float rowDot = LaneSum.ORDERED_REDUCTION ? pa.reduceLanes(VectorOperators.ADD) : LaneSum.tree(pa);
        float e = scale * (LaneSum.ORDERED_REDUCTION ? pb.reduceLanes(VectorOperators.ADD) : LaneSum.tree(pb));
        FloatVector pc = FloatVector.zero(F);
        for (int j = 0; j < width; j += lanes) {
            FloatVector pj = FloatVector.fromArray(F, w, pr + j), dp = FloatVector.fromArray(F, w, ar + j);
            FloatVector x = FloatVector.fromArray(F, w, br + j).mul(scale), centred = dp.sub(rowDot);
            FloatVector y = x.fma(centred, FloatVector.fromArray(F, w, cr + j)).sub(dp.mul(e));
            pj.mul(centred).mul(scale).intoArray(w, ar + j);
            pj.mul(x.sub(e)).intoArray(w, br + j);
            y.intoArray(w, cr + j);
            pc = pj.fma(y, pc);
        }
        float f = LaneSum.ORDERED_REDUCTION ? pc.reduceLanes(VectorOperators.ADD) : LaneSum.tree(pc);
        for (int j = 0; j < width; j += lanes) {
            FloatVector pj = FloatVector.fromArray(F, w, pr + j);
            FloatVector.fromArray(F, w, cr + j).sub(f).mul(pj).mul(scale).intoArray(w, cr + j);
        }
    }
}
