package org.panagrad.kernels;

/**
 * The plain-loop twin of {@link AttentionSecondOrderSimd}: the same rows in the same workspace, one element at a
 * time (summing the causal zeros that the SIMD body skips); a negative gBarOff leaves gBar out, as there.
 */
final class AttentionSecondOrderScalar {
    private AttentionSecondOrderScalar() {}

    static void secondOrder(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                            float[] v, int vOff, float[] g, int gOff, float[] t, int aqOff, int akOff, int avOff,
                            float[] out, int qBarOff, int kBarOff, int vBarOff, int gBarOff, float[] w, int b0, int b1) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), kp = a.paddedKeys();
        int p = 2 * (d + dv) * kp, ra = p + tq * kp, rb = ra + tq * kp, rc = rb + tq * kp;
        float s = a.scale();
        for (int b = b0; b < b1; b++) {
            int qb = qOff + b * tq * d, kb = kOff + b * tk * d, vb = vOff + b * tk * dv, gb = gOff + b * tq * dv;
            int aqb = aqOff + b * tq * d, akb = akOff + b * tk * d, avb = avOff + b * tk * dv;
            for (int i = 0; i < tq; i++) {
                int pi = p + i * kp, ai = ra + i * kp, bi = rb + i * kp, ci = rc + i * kp;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < tk; j++) {
                    w[pi + j] = Attention.masked(a, mask, b, i, j, dot(q, qb + i * d, k, kb + j * d, d) * s);
                    max = Math.max(max, w[pi + j]);
                }
                float sum = 0;
                for (int j = 0; j < tk; j++) sum += w[pi + j] = (float) Math.exp(w[pi + j] - max);
                float inv = 1f / sum, rowDot = 0, e = 0;
                for (int j = 0; j < tk; j++) {
                    w[pi + j] *= inv;
                    w[ai + j] = dot(g, gb + i * dv, v, vb + j * dv, dv);
                    w[bi + j] = dot(t, aqb + i * d, k, kb + j * d, d) + dot(q, qb + i * d, t, akb + j * d, d);
                    w[ci + j] = dot(g, gb + i * dv, t, avb + j * dv, dv);
                    rowDot += w[pi + j] * w[ai + j];
                    e += w[pi + j] * w[bi + j];
                }
                e *= s;
                float f = 0;
                for (int j = 0; j < tk; j++) {
                    float pj = w[pi + j], dp = w[ai + j], x = s * w[bi + j];
                    float y = w[ci + j] + x * (dp - rowDot) - e * dp;
                    w[ai + j] = s * pj * (dp - rowDot);
                    w[bi + j] = pj * (x - e);
                    w[ci + j] = y;
                    f += pj * y;
                }
                for (int j = 0; j < tk; j++) w[ci + j] = s * w[pi + j] * (w[ci + j] - f);
            }
            for (int i = 0; i < tq; i++) {
                int ai = ra + i * kp, ci = rc + i * kp, pi = p + i * kp, bi = rb + i * kp;
                for (int c = 0; c < d; c++) {
                    float x = 0;
                    for (int j = 0; j < tk; j++) x += w[ai + j] * t[akb + j * d + c] + w[ci + j] * k[kb + j * d + c];
                    out[qBarOff + (b * tq + i) * d + c] = x;
                }
                for (int c = 0; c < dv && gBarOff >= 0; c++) {
                    float x = 0;
                    for (int j = 0; j < tk; j++) x += w[pi + j] * t[avb + j * dv + c] + w[bi + j] * v[vb + j * dv + c];
                    out[gBarOff + (b * tq + i) * dv + c] = x;
                }
            }
            for (int j = 0; j < tk; j++) {
                for (int c = 0; c < d; c++) {
                    float x = 0;
                    for (int i = 0; i < tq; i++) x += w[ra + i * kp + j] * t[aqb + i * d + c] + w[rc + i * kp + j] * q[qb + i * d + c];
                    out[kBarOff + (b * tk + j) * d + c] = x;
                }
                for (int c = 0; c < dv; c++) {
                    float x = 0;
                    for (int i = 0; i < tq; i++) x += w[rb + i * kp + j] * g[gb + i * dv + c];
                    out[vBarOff + (b * tk + j) * dv + c] = x;
                }
            }
        }
    }

    private static float dot(float[] x, int xo, float[] y, int yo, int n) {
        float s = 0;
        for (int c = 0; c < n; c++) s += x[xo + c] * y[yo + c];
        return s;
    }
}
