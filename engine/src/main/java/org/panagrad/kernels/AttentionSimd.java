package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused attention forward in vectors. Per batch entry the keys are transposed once into the workspace
 * ([d, keys padded to 16] so a vector of scores is d broadcast-FMAs down its columns), then four query rows go
 * together through the key blocks: four independent FMA chains per vector of scores and per vector of the output,
 * each key or value vector loaded once for the four. A last group of fewer than four rows repeats its last row
 * and writes only the real ones.
 */
final class AttentionSimd {
    private AttentionSimd() {}

    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int ROWS = 4;

    static void forward(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                        float[] v, int vOff, float[] out, int outOff, float[] w) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), lanes = F.length(), pad = a.paddedKeys();
        int bk = AttentionDims.BLOCK, scores = d * pad, acc = scores + ROWS * bk, ml = acc + ROWS * dv;
        int dvBound = F.loopBound(dv);
        for (int b = 0; b < a.batch(); b++) {
            int qb = qOff + b * tq * d, kb = kOff + b * tk * d, vb = vOff + b * tk * dv, ob = outOff + b * tq * dv;
            for (int j = 0; j < tk; j++) {
                for (int c = 0; c < d; c++) w[c * pad + j] = k[kb + j * d + c]; // columns tk..pad stay 0
            }
            for (int i0 = 0; i0 < tq; i0 += ROWS) {
                int r0 = i0, r1 = Math.min(i0 + 1, tq - 1), r2 = Math.min(i0 + 2, tq - 1), r3 = Math.min(i0 + 3, tq - 1);
                for (int r = 0; r < ROWS; r++) {
                    w[ml + r] = Float.NEGATIVE_INFINITY;
                    w[ml + ROWS + r] = 0f;
                }
                java.util.Arrays.fill(w, acc, acc + ROWS * dv, 0f);
                for (int j0 = 0; j0 < tk; j0 += bk) {
                    int width = Math.min(bk, tk - j0);
                    for (int jv = 0; jv < width; jv += lanes) {
                        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                        for (int c = 0, kt = j0 + jv; c < d; c++, kt += pad) {
                            FloatVector kc = FloatVector.fromArray(F, w, kt);
                            s0 = kc.fma(FloatVector.broadcast(F, q[qb + r0 * d + c]), s0);
                            s1 = kc.fma(FloatVector.broadcast(F, q[qb + r1 * d + c]), s1);
                            s2 = kc.fma(FloatVector.broadcast(F, q[qb + r2 * d + c]), s2);
                            s3 = kc.fma(FloatVector.broadcast(F, q[qb + r3 * d + c]), s3);
                        }
                        int at = scores + jv;
                        s0.mul(a.scale()).intoArray(w, at);
                        s1.mul(a.scale()).intoArray(w, at + bk);
                        s2.mul(a.scale()).intoArray(w, at + 2 * bk);
                        s3.mul(a.scale()).intoArray(w, at + 3 * bk);
                    }
                    for (int r = 0; r < ROWS; r++) {
                        int row = Math.min(i0 + r, tq - 1);
                        softmaxBlock(a, mask, b, row, j0, width, w, scores + r * bk, acc + r * dv, ml + r, ml + ROWS + r);
                    }
                    for (int c = 0; c < dvBound; c += lanes) {
                        int a0 = acc + c, a1 = a0 + dv, a2 = a1 + dv, a3 = a2 + dv;
                        FloatVector o0 = FloatVector.fromArray(F, w, a0), o1 = FloatVector.fromArray(F, w, a1);
                        FloatVector o2 = FloatVector.fromArray(F, w, a2), o3 = FloatVector.fromArray(F, w, a3);
                        for (int j = 0; j < width; j++) {
                            FloatVector vj = FloatVector.fromArray(F, v, vb + (j0 + j) * dv + c);
                            int p = scores + j;
                            o0 = vj.fma(FloatVector.broadcast(F, w[p]), o0);
                            o1 = vj.fma(FloatVector.broadcast(F, w[p + bk]), o1);
                            o2 = vj.fma(FloatVector.broadcast(F, w[p + 2 * bk]), o2);
                            o3 = vj.fma(FloatVector.broadcast(F, w[p + 3 * bk]), o3);
                        }
                        o0.intoArray(w, a0);
                        o1.intoArray(w, a1);
                        o2.intoArray(w, a2);
                        o3.intoArray(w, a3);
                    }
                    for (int c = dvBound; c < dv; c++) {
                        for (int r = 0; r < ROWS; r++) {
                            float x = w[acc + r * dv + c];
                            for (int j = 0; j < width; j++) x += w[scores + r * bk + j] * v[vb + (j0 + j) * dv + c];
                            w[acc + r * dv + c] = x;
                        }
                    }
                }
                for (int r = 0; r < ROWS && i0 + r < tq; r++) {
                    float inv = 1f / w[ml + ROWS + r];
                    int src = acc + r * dv, dst = ob + (i0 + r) * dv;
                    int c = 0;
                    for (; c < dvBound; c += lanes) FloatVector.fromArray(F, w, src + c).mul(inv).intoArray(out, dst + c);
                    for (; c < dv; c++) out[dst + c] = w[src + c] * inv;
                }
            }
        }
    }

    /**
     * One query row's block of scaled scores at w[s..s+width): masked, exponentiated against the new running maximum
     * (w[m]), summed into the running sum (w[l]); the row's output so far (w[o..o+dv)) rescaled to the new maximum.
     */
    private static void softmaxBlock(AttentionDims a, AttentionMaskLayout mask, int b, int row, int j0, int width,
                                     float[] w, int s, int o, int m, int l) {
        int lanes = F.length(), full = F.loopBound(width);
        boolean plainMask = mask != null && mask.colStride() == 1;
        int mo = mask == null ? 0 : mask.offsets()[b] + row * mask.rowStride() + j0 * mask.colStride();
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        IntVector iota = IntVector.zero(I).addIndex(1);
        int j = 0;
        for (; j < full; j += lanes) {
            FloatVector x = FloatVector.fromArray(F, w, s + j);
            if (plainMask) {
                FloatVector mv = FloatVector.fromArray(F, mask.values(), mo + j);
                x = mask.keep() ? x.blend(Float.NEGATIVE_INFINITY, mv.compare(VectorOperators.EQ, 0f)) : x.add(mv);
            } else if (mask != null) {
                for (int e = 0; e < lanes; e++) w[s + j + e] = Attention.masked(a, mask, b, row, j0 + j + e, w[s + j + e]);
                x = FloatVector.fromArray(F, w, s + j);
            }
            if (a.causal()) {
                x = x.blend(Float.NEGATIVE_INFINITY,
                        iota.add(j0 + j).compare(VectorOperators.GT, row).cast(F));
            }
            x.intoArray(w, s + j);
            max = max.max(x);
        }
        float blockMax = max.reduceLanes(VectorOperators.MAX);
        for (; j < width; j++) {
            w[s + j] = Attention.masked(a, mask, b, row, j0 + j, w[s + j]);
            blockMax = Math.max(blockMax, w[s + j]);
        }
        // Whole vectors through exp (the lanes past the block's keys at -inf, which give 0): no scalar tail.
        int padded = (width + lanes - 1) / lanes * lanes;
        for (int e = width; e < padded; e++) w[s + e] = Float.NEGATIVE_INFINITY;
        float old = w[m], mNew = Math.max(old, blockMax), shift = mNew == Float.NEGATIVE_INFINITY ? 0f : mNew;
        float alpha = old == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(old - shift);
        float sum = VectorMath.exp(padded, 1f, shift, w, s, w, s);
        w[l] = w[l] * alpha + sum;
        w[m] = mNew;
        if (alpha != 1f) {
            int dv = a.dv(), bound = F.loopBound(dv), c = 0;
            for (; c < bound; c += lanes) FloatVector.fromArray(F, w, o + c).mul(alpha).intoArray(w, o + c);
            for (; c < dv; c++) w[o + c] *= alpha;
        }
    }
}
