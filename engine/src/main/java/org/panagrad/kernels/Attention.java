package org.panagrad.kernels;

/**
 * Fused scaled dot-product attention, softmax(scale Q K^T + mask) V per batch entry, streaming over blocks of
 * {@link AttentionDims#BLOCK} keys with an online softmax (a running maximum and sum per query row; the output
 * accumulated and rescaled whenever the maximum grows), so the [tq, tk] scores are never stored: only one block
 * of them for four query rows at a time. Entries of 128 to 1024 keys (d >= 32, causal too) take packed GEMMs
 * instead, {@link AttentionDims#forwardRows} query rows against all keys at a time (at most 64 K scores per thread;
 * see AttentionBackwardSimd.usesPackedGemm). A row whose keys are all masked comes out NaN, as a softmax of -inf does.
 */
public final class Attention {
    private Attention() {}

    /**
     * {@code mask} may be null. Batch entries and blocks of their query rows are shared out over the GEMM's worker
     * pool ({@link AttentionJob}).
     */
    public static void forward(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                               float[] v, int vOff, float[] out, int outOff) {
        AttentionJob.current().forward(a, mask, q, qOff, k, kOff, v, vOff, out, outOff);
    }

    /**
     * The gradients of a fused attention's inputs from the output's gradient g [tq, dv] per batch entry, without
     * the forward's output: per entry, P = softmax(scale Q K^T + mask) is recomputed into the workspace with its
     * rows' own maximum and sum, then dP = g V^T, dS = P (dP - rowsum(P dP)), dQ = scale dS K, dK = scale dS^T Q
     * and dV = P^T g (FlashAttention-2's backward with whole rows of keys at once, which a CPU's caches hold at the
     * lengths attention runs at here). Batch entries are shared out over the GEMM's worker pool ({@link AttentionJob}).
     * A row whose keys are all masked makes its dq row and every dk and dv of its entry NaN, as the composed form's
     * gradients are (so does the second order, for qBar, gBar, kBar and vBar).
     */
    public static void backward(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                                float[] v, int vOff, float[] g, int gOff, float[] out, int dqOff, int dkOff, int dvOff) {
        AttentionJob.current().backward(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, out, dqOff, dkOff, dvOff);
    }

    /**
     * The second order of a fused attention, per batch entry: for the cotangent (aq, ak, av) of {@link #backward}'s
     * (dq, dk, dv), its VJP qBar, kBar, vBar and gBar (the last for the output gradient g). With P, dP, D =
     * rowsum(P dP) and dS = P (dP - D) as in the backward, dSbar = scale (aq K^T + Q ak^T), E = rowsum(P dSbar):
     * Pbar = g av^T + dSbar (dP - D) - E dP, dPbar = P (dSbar - E), sBar = P (Pbar - rowsum(P Pbar)), and
     * qBar = scale (dS ak + sBar K), kBar = scale (dS^T aq + sBar^T Q), vBar = dPbar^T g, gBar = P av + dPbar V.
     * (aq, ak, av) are read from {@code t}. A negative {@code gBarOff} leaves gBar out (its two products skipped):
     * forward over reverse reads only qBar, kBar and vBar. Batch entries are shared out over the GEMM's worker pool ({@link AttentionJob}).
     */
    public static void secondOrder(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                                   float[] v, int vOff, float[] g, int gOff, float[] t, int aqOff, int akOff, int avOff,
                                   float[] out, int qBarOff, int kBarOff, int vBarOff, int gBarOff) {
        AttentionJob.current().secondOrder(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, t, aqOff, akOff, avOff,
                out, qBarOff, kBarOff, vBarOff, gBarOff);
    }

    /** The scaled, masked score of query i against key j of batch entry b, or -infinity where masked. */
    static float masked(AttentionDims a, AttentionMaskLayout mask, int b, int i, int j, float score) {
        if (a.causal() && j > i) return Float.NEGATIVE_INFINITY;
        if (mask == null) return score;
        float m = mask.values()[mask.offsets()[b] + i * mask.rowStride() + j * mask.colStride()];
        return mask.keep() ? (m != 0f ? score : Float.NEGATIVE_INFINITY) : score + m;
    }
}
