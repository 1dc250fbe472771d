package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused attention backward in vectors. Per batch entry, keys and values are transposed into the workspace
 * ([d, paddedKeys] and [dv, paddedKeys], zero past tk), so that the score rows S = scale Q K^T and dP = g V^T are
 * vectors over keys; each row of S becomes its probabilities in place (masked as the forward masks, minus its
 * maximum, exponentiated, divided by its sum), each row of dP its score gradient dS = scale P (dP - rowsum(P dP)).
 * Then dQ = dS K, dK = dS^T Q and dV = P^T g. All five products are one loop ({@link #times}): four output rows at
 * a time against two vectors of columns, eight independent FMA chains, the coefficients broadcast from any strides
 * (dS^T and P^T are read down their columns, never transposed).
 */
final class AttentionBackwardSimd {
    private AttentionBackwardSimd() {}

    private static final VectorSpecies<Float> F = VectorMath.F;

    static void backward(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                         float[] v, int vOff, float[] g, int gOff, float[] out, int dqOff, int dkOff, int dvOff,
                         float[] w, int b0, int b1) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), kp = a.paddedKeys();
        int kt = 0, vt = d * kp, p = (d + dv) * kp, ds = p + tq * kp;
        // Causal: a group of four query rows needs the keys up to its last row only, and a group of four keys the
        // queries from its first row on; the products skip the rest, which the rows' masks make (near) zero.
        int keysToRow = a.causal() ? KEYS_TO_ROW : ALL, toRow = a.causal() ? INNER_TO_ROW : ALL;
        int fromRow = a.causal() ? INNER_FROM_ROW : ALL;
        for (int b = b0; b < b1; b++) {
            int qb = qOff + b * tq * d, kb = kOff + b * tk * d, vb = vOff + b * tk * dv, gb = gOff + b * tq * dv;
            transpose(k, kb, tk, d, w, kt, kp);
            transpose(v, vb, tk, dv, w, vt, kp);
            times(q, qb, d, 1, tq, d, w, kt, kp, kp, w, p, kp, keysToRow);
            for (int i = 0; i < tq; i++) probabilities(a, mask, b, i, w, p + i * kp, width(a, i));
            times(g, gb, dv, 1, tq, dv, w, vt, kp, kp, w, ds, kp, keysToRow);
            for (int i = 0; i < tq; i++) scoreGradient(w, p + i * kp, ds + i * kp, width(a, i), a.scale());
            times(w, ds, kp, 1, tq, tk, k, kb, d, d, out, dqOff + b * tq * d, d, toRow);
            times(w, ds, 1, kp, tk, tq, q, qb, d, d, out, dkOff + b * tk * d, d, fromRow);
            times(w, p, 1, kp, tk, tq, g, gb, dv, dv, out, dvOff + b * tk * dv, dv, fromRow);
        }
    }

    /** What {@link #times} leaves out for a group of rows from r: nothing, or (causal) what lies past its diagonal. */
    private static final int ALL = 0, KEYS_TO_ROW = 1, INNER_TO_ROW = 2, INNER_FROM_ROW = 3;

    /** Keys a group of four rows from r needs: up to its last row when causal (every row of the group alike). */
    private static int keys(int r, int limit, int mode) {
        return mode == ALL || mode == INNER_FROM_ROW ? limit : Math.min(limit, (r | 3) + 1);
    }

    /** The columns of score row i that the products write and read: its group's keys in whole vectors. */
    private static int width(AttentionDims a, int i) {
        int lanes = F.length();
        return a.causal() ? (keys(i, a.tk(), KEYS_TO_ROW) + lanes - 1) / lanes * lanes : a.paddedKeys();
    }

    /** x [n, width] from x[xb..] into w[to..] as [width, kp]: element (j, c) at to + c * kp + j; zero for j >= n. */
    private static void transpose(float[] x, int xb, int n, int width, float[] w, int to, int kp) {
        for (int c = 0; c < width; c++) {
            int row = to + c * kp;
            for (int j = 0, at = xb + c; j < n; j++, at += width) w[row + j] = x[at];
            for (int j = n; j < kp; j++) w[row + j] = 0f;
        }
    }

    /**
     * Row i's scores at w[at..at + width) (unscaled dots; zero past tk) into its probabilities, zero past tk; past
     * width nothing is read or written.
     */
    private static void probabilities(AttentionDims a, AttentionMaskLayout mask, int b, int i, float[] w, int at, int width) {
        int lanes = F.length(), tk = a.tk(), keys = Math.min(tk, width);
        for (int j = 0; j < width; j += lanes) FloatVector.fromArray(F, w, at + j).mul(a.scale()).intoArray(w, at + j);
        float max = AttentionSimd.maskRow(a, mask, b, i, 0, keys, w, at);
        float inv = 1f / VectorMath.exp(keys, 1f, max, w, at, w, at);
        int j = 0;
        for (; j < F.loopBound(keys); j += lanes) FloatVector.fromArray(F, w, at + j).mul(inv).intoArray(w, at + j);
        for (; j < keys; j++) w[at + j] *= inv;
        for (; j < width; j++) w[at + j] = 0f;
    }

    /** dP's row at w[dp..] into dS = scale P (dP - rowsum(P dP)) in place, P's row at w[pr..]; width a whole number of vectors. */
    private static void scoreGradient(float[] w, int pr, int dp, int width, float scale) {
        int lanes = F.length();
        FloatVector dot = FloatVector.zero(F);
        for (int j = 0; j < width; j += lanes) dot = FloatVector.fromArray(F, w, pr + j).fma(FloatVector.fromArray(F, w, dp + j), dot);
        float rowDot = dot.reduceLanes(VectorOperators.ADD);
        for (int j = 0; j < width; j += lanes) {
            FloatVector pj = FloatVector.fromArray(F, w, pr + j);
            FloatVector.fromArray(F, w, dp + j).sub(rowDot).mul(pj).mul(scale).intoArray(w, dp + j);
        }
    }

    /**
     * out[r, c] = sum over t of coef[c0 + r * cr + t * ct] * m[m0 + t * mr + c], for r < rows, c < width (rows of out
     * at o0 + r * or); t from 0 to inner, less what {@code mode} leaves out for causal attention per group of four
     * rows from r: KEYS_TO_ROW keeps the columns (keys) up to the group's last row, in whole vectors; INNER_TO_ROW the
     * terms t up to it; INNER_FROM_ROW the terms from its first row on.
     */
    private static void times(float[] coef, int c0, int cr, int ct, int rows, int inner, float[] m, int m0, int mr,
                              int fullWidth, float[] out, int o0, int or, int mode) {
        int lanes = F.length();
        for (int r = 0; r < rows; r += 4) {
            int width = mode == KEYS_TO_ROW ? Math.min(fullWidth, ((r | 3) + lanes) / lanes * lanes) : fullWidth;
            int t0 = mode == INNER_FROM_ROW ? Math.min(r, inner) : 0, t1 = mode == INNER_TO_ROW ? keys(r, inner, mode) : inner;
            if (r + 4 <= rows) fourRows(coef, c0 + r * cr, cr, ct, t0, t1, m, m0, mr, width, out, o0 + r * or, or);
            else for (int e = r; e < rows; e++) oneRow(coef, c0 + e * cr, ct, t0, t1, m, m0, mr, width, out, o0 + e * or);
        }
    }

    /** Four rows of {@link #times} (coefficients from a0, a0 + cr, ...; output rows from o): eight FMA chains. */
    private static void fourRows(float[] coef, int a0, int cr, int ct, int t0, int t1, float[] m, int m0, int mr,
                                 int width, float[] out, int o, int or) {
        int lanes = F.length(), a1 = a0 + cr, a2 = a1 + cr, a3 = a2 + cr, c = 0;
        for (; c + 2 * lanes <= width; c += 2 * lanes) {
            FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
            for (int t = t0, at = m0 + t0 * mr + c, ta = t0 * ct; t < t1; t++, at += mr, ta += ct) {
                FloatVector x0 = FloatVector.fromArray(F, m, at), x1 = FloatVector.fromArray(F, m, at + lanes);
                FloatVector e = FloatVector.broadcast(F, coef[a0 + ta]);
                s00 = x0.fma(e, s00);
                s01 = x1.fma(e, s01);
                e = FloatVector.broadcast(F, coef[a1 + ta]);
                s10 = x0.fma(e, s10);
                s11 = x1.fma(e, s11);
                e = FloatVector.broadcast(F, coef[a2 + ta]);
                s20 = x0.fma(e, s20);
                s21 = x1.fma(e, s21);
                e = FloatVector.broadcast(F, coef[a3 + ta]);
                s30 = x0.fma(e, s30);
                s31 = x1.fma(e, s31);
            }
            s00.intoArray(out, o + c);
            s01.intoArray(out, o + c + lanes);
            s10.intoArray(out, o + or + c);
            s11.intoArray(out, o + or + c + lanes);
            s20.intoArray(out, o + 2 * or + c);
            s21.intoArray(out, o + 2 * or + c + lanes);
            s30.intoArray(out, o + 3 * or + c);
            s31.intoArray(out, o + 3 * or + c + lanes);
        }
        for (; c + lanes <= width; c += lanes) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int t = t0, at = m0 + t0 * mr + c, ta = t0 * ct; t < t1; t++, at += mr, ta += ct) {
                FloatVector x = FloatVector.fromArray(F, m, at);
                s0 = x.fma(FloatVector.broadcast(F, coef[a0 + ta]), s0);
                s1 = x.fma(FloatVector.broadcast(F, coef[a1 + ta]), s1);
                s2 = x.fma(FloatVector.broadcast(F, coef[a2 + ta]), s2);
                s3 = x.fma(FloatVector.broadcast(F, coef[a3 + ta]), s3);
            }
            s0.intoArray(out, o + c);
            s1.intoArray(out, o + or + c);
            s2.intoArray(out, o + 2 * or + c);
            s3.intoArray(out, o + 3 * or + c);
        }
        for (; c < width; c++) for (int e = 0; e < 4; e++) out[o + e * or + c] = dot(coef, a0 + e * cr, ct, t0, t1, m, m0 + c, mr);
    }

    /** One row of {@link #times}. */
    private static void oneRow(float[] coef, int a0, int ct, int t0, int t1, float[] m, int m0, int mr, int width,
                               float[] out, int o) {
        int lanes = F.length(), c = 0;
        for (; c + lanes <= width; c += lanes) {
            FloatVector s = FloatVector.zero(F);
            for (int t = t0, at = m0 + t0 * mr + c, ta = a0 + t0 * ct; t < t1; t++, at += mr, ta += ct) {
                s = FloatVector.fromArray(F, m, at).fma(FloatVector.broadcast(F, coef[ta]), s);
            }
            s.intoArray(out, o + c);
        }
        for (; c < width; c++) out[o + c] = dot(coef, a0, ct, t0, t1, m, m0 + c, mr);
    }

    private static float dot(float[] coef, int a, int ct, int t0, int t1, float[] m, int at, int mr) {
        float x = 0;
        for (int t = t0; t < t1; t++) x += coef[a + t * ct] * m[at + t * mr];
        return x;
    }
}
