package org.panagrad.kernels;

/**
 * The plain-loop twin of {@link AttentionBackwardSimd}: the same steps over the same workspace, one element at a time
 * (summing the causal zeros that the SIMD body skips).
 */
final class AttentionBackwardScalar {
    private AttentionBackwardScalar() {}

    static void backward(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                         float[] v, int vOff, float[] g, int gOff, float[] out, int dqOff, int dkOff, int dvOff,
                         float[] w, int b0, int b1) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), kp = a.paddedKeys();
        int p = (d + dv) * kp, ds = p + tq * kp;
        for (int b = b0; b < b1; b++) {
            int qb = qOff + b * tq * d, kb = kOff + b * tk * d, vb = vOff + b * tk * dv, gb = gOff + b * tq * dv;
            for (int i = 0; i < tq; i++) {
                int row = p + i * kp, dRow = ds + i * kp;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < tk; j++) {
                    float dot = 0;
                    for (int c = 0; c < d; c++) dot += q[qb + i * d + c] * k[kb + j * d + c];
                    w[row + j] = Attention.masked(a, mask, b, i, j, dot * a.scale());
                    max = Math.max(max, w[row + j]);
                }
                float sum = 0;
                for (int j = 0; j < tk; j++) sum += w[row + j] = (float) Math.exp(w[row + j] - max);
                float inv = 1f / sum, rowDot = 0;
                for (int j = 0; j < tk; j++) {
                    w[row + j] *= inv;
                    float dp = 0;
                    for (int c = 0; c < dv; c++) dp += g[gb + i * dv + c] * v[vb + j * dv + c];
                    w[dRow + j] = dp;
                    rowDot += w[row + j] * dp;
                }
                for (int j = 0; j < tk; j++) w[dRow + j] = a.scale() * w[row + j] * (w[dRow + j] - rowDot);
            }
            for (int i = 0; i < tq; i++) {
                for (int c = 0; c < d; c++) {
                    float x = 0;
                    for (int j = 0; j < tk; j++) x += w[ds + i * kp + j] * k[kb + j * d + c];
                    out[dqOff + (b * tq + i) * d + c] = x;
                }
            }
            for (int j = 0; j < tk; j++) {
                for (int c = 0; c < d; c++) {
                    float x = 0;
                    for (int i = 0; i < tq; i++) x += w[ds + i * kp + j] * q[qb + i * d + c];
                    out[dkOff + (b * tk + j) * d + c] = x;
                }
                for (int c = 0; c < dv; c++) {
                    float x = 0;
                    for (int i = 0; i < tq; i++) x += w[p + i * kp + j] * g[gb + i * dv + c];
                    out[dvOff + (b * tk + j) * dv + c] = x;
                }
            }
        }
    }
}
