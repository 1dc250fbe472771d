package org.panagrad.kernels;

/**
 * The plain-loop twin of {@link AttentionSimd}: the same online softmax over the same key blocks, one row at a time,
 * for the query rows [from, to) of batch entries [b0, b1). (The SIMD body's packed GEMM path for long non-causal
 * entries takes whole rows of keys instead: the same function, summed in another order.)
 */
public final class AttentionScalar {
    private AttentionScalar() {}

    public static void forward(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                               float[] v, int vOff, float[] out, int outOff, float[] work, int b0, int b1,
                               int from, int to) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv();
        float[] s = work, acc = work; // scores of one block from 0, the output row from BLOCK on
        int ac = AttentionDims.BLOCK;
        for (int b = b0; b < b1; b++) {
            int qb = qOff + b * tq * d, kb = kOff + b * tk * d, vb = vOff + b * tk * dv, ob = outOff + b * tq * dv;
            for (int i = from; i < to; i++) {
                float m = Float.NEGATIVE_INFINITY, l = 0;
                java.util.Arrays.fill(acc, ac, ac + dv, 0f);
                for (int j0 = 0; j0 < tk; j0 += AttentionDims.BLOCK) {
                    int w = Math.min(AttentionDims.BLOCK, tk - j0);
                    float blockMax = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < w; j++) {
                        float dot = 0;
                        for (int c = 0; c < d; c++) dot += q[qb + i * d + c] * k[kb + (j0 + j) * d + c];
                        s[j] = Attention.masked(a, mask, b, i, j0 + j, dot * a.scale());
                        blockMax = Math.max(blockMax, s[j]);
                    }
                    float mNew = Math.max(m, blockMax), shift = mNew == Float.NEGATIVE_INFINITY ? 0f : mNew;
                    float alpha = m == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(m - shift), sum = 0;
                    for (int j = 0; j < w; j++) {
                        s[j] = (float) Math.exp(s[j] - shift);
                        sum += s[j];
                    }
                    l = l * alpha + sum;
                    m = mNew;
                    for (int c = 0; c < dv; c++) {
                        float x = acc[ac + c] * alpha;
                        for (int j = 0; j < w; j++) x += s[j] * v[vb + (j0 + j) * dv + c];
                        acc[ac + c] = x;
                    }
                }
                for (int c = 0; c < dv; c++) out[ob + i * dv + c] = acc[ac + c] / l;
            }
        }
    }
}
