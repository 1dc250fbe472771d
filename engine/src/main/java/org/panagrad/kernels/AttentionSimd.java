package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused attention forward in vectors. Per batch entry the keys are transposed once into the workspace, block by
 * block of 64 keys ([d, 64] each, contiguous, so a vector of scores is d broadcast-FMAs down unit-stride columns).
 * Query rows go in tiles of {@link AttentionDims#ROWS}: for each key block, the tile's groups of four rows take their
 * scores, softmax and values in turn, so the block's keys and values (16 KB each at d = 64) are read from L1 by all
 * of the tile's rows instead of from L2 by every four. Both products keep eight independent FMA chains in registers
 * (Zen 5 retires two 4-cycle FMAs a cycle, so fewer chains leave the pipes idle): Q K^T as 4 rows x 2 key vectors,
 * P V as 4 rows x 2 output vectors; where only one vector is left, its sum is split over even and odd terms instead.
 * A causal group stops at its last row's diagonal: the keys past it are hidden from all four rows. A last group of
 * fewer than four rows repeats its last row and writes only the real ones.
 */
final class AttentionSimd {
    private AttentionSimd() {}

    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int ROWS = 4, STATE = 3 * ROWS; // per group: running maxima, sums, rescale factors

    static void forward(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                        float[] v, int vOff, float[] out, int outOff, float[] w, int b0, int b1) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), lanes = F.length(), bk = AttentionDims.BLOCK;
        int tile = AttentionDims.ROWS, scores = a.keyBlocks() * bk * d, acc = scores + ROWS * bk, ml = acc + tile * dv;
        for (int b = b0; b < b1; b++) {
            int qb = qOff + b * tq * d, kb = kOff + b * tk * d, vb = vOff + b * tk * dv, ob = outOff + b * tq * dv;
            transposeKeys(k, kb, tk, d, w);
            for (int i0 = 0; i0 < tq; i0 += tile) {
                int rows = Math.min(tile, tq - i0), groups = (rows + ROWS - 1) / ROWS;
                for (int g = 0; g < groups; g++) {
                    for (int r = 0; r < ROWS; r++) {
                        w[ml + g * STATE + r] = Float.NEGATIVE_INFINITY;
                        w[ml + g * STATE + ROWS + r] = 0f;
                    }
                }
                java.util.Arrays.fill(w, acc, acc + groups * ROWS * dv, 0f);
                int keys = a.causal() ? Math.min(tk, i0 + rows) : tk;
                for (int j0 = 0; j0 < keys; j0 += bk) {
                    for (int g = 0; g < groups; g++) {
                        int g0 = i0 + g * ROWS, groupKeys = a.causal() ? Math.min(tk, Math.min(g0 + ROWS, tq)) : tk;
                        if (j0 >= groupKeys) continue;
                        int width = Math.min(bk, groupKeys - j0), nv = (width + lanes - 1) / lanes, sw = nv * lanes;
                        int q0 = qb + g0 * d, q1 = qb + Math.min(g0 + 1, tq - 1) * d;
                        int q2 = qb + Math.min(g0 + 2, tq - 1) * d, q3 = qb + Math.min(g0 + 3, tq - 1) * d;
                        int groupAcc = acc + g * ROWS * dv;
                        scores(q, q0, q1, q2, q3, d, w, j0 * d, bk, nv, a.scale(), scores, sw);
                        softmaxBlock(a, mask, b, g0, j0, width, w, scores, sw, groupAcc, ml + g * STATE);
                        values(w, scores, sw, v, vb + j0 * dv, dv, width, groupAcc);
                    }
                }
                for (int r = 0; r < rows; r++) {
                    float inv = 1f / w[ml + r / ROWS * STATE + ROWS + r % ROWS];
                    int src = acc + r * dv, dst = ob + (i0 + r) * dv, c = 0;
                    for (; c < F.loopBound(dv); c += lanes) FloatVector.fromArray(F, w, src + c).mul(inv).intoArray(out, dst + c);
                    for (; c < dv; c++) out[dst + c] = w[src + c] * inv;
                }
            }
        }
    }

    /**
     * Keys [tk, d] from k[kb..] into w as blocks of 64 keys, each [d, 64] (key j, column c at
     * (j / 64) * 64 d + c * 64 + j % 64; the columns past tk are never read as keys), sixteen keys at a time.
     */
    private static void transposeKeys(float[] k, int kb, int tk, int d, float[] w) {
        int bk = AttentionDims.BLOCK;
        for (int j0 = 0; j0 < tk; j0 += 16) {
            int j1 = Math.min(tk, j0 + 16), base = j0 / bk * bk * d + j0 % bk;
            for (int c = 0; c < d; c++) {
                for (int j = j0, at = kb + j0 * d + c, to = base + c * bk; j < j1; j++, at += d, to++) w[to] = k[at];
            }
        }
    }

    /**
     * Scaled scores of the four query rows at q[q0..], q[q1..], q[q2..], q[q3..] against nv vectors of keys from
     * column j0 of the transposed keys (w[0..d * pad)), into rows of sw = nv * lanes floats at w[dst..].
     */
    private static void scores(float[] q, int q0, int q1, int q2, int q3, int d, float[] w, int kt, int pad, int nv,
                               float scale, int dst, int sw) {
        int lanes = F.length(), n = 0;
        for (; n + 2 <= nv; n += 2) {
            FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
            for (int c = 0, at = kt + n * lanes; c < d; c++, at += pad) {
                FloatVector k0 = FloatVector.fromArray(F, w, at), k1 = FloatVector.fromArray(F, w, at + lanes);
                FloatVector x = FloatVector.broadcast(F, q[q0 + c]);
                s00 = k0.fma(x, s00);
                s01 = k1.fma(x, s01);
                x = FloatVector.broadcast(F, q[q1 + c]);
                s10 = k0.fma(x, s10);
                s11 = k1.fma(x, s11);
                x = FloatVector.broadcast(F, q[q2 + c]);
                s20 = k0.fma(x, s20);
                s21 = k1.fma(x, s21);
                x = FloatVector.broadcast(F, q[q3 + c]);
                s30 = k0.fma(x, s30);
                s31 = k1.fma(x, s31);
            }
            int at = dst + n * lanes;
            s00.mul(scale).intoArray(w, at);
            s01.mul(scale).intoArray(w, at + lanes);
            s10.mul(scale).intoArray(w, at + sw);
            s11.mul(scale).intoArray(w, at + sw + lanes);
            s20.mul(scale).intoArray(w, at + 2 * sw);
            s21.mul(scale).intoArray(w, at + 2 * sw + lanes);
            s30.mul(scale).intoArray(w, at + 3 * sw);
            s31.mul(scale).intoArray(w, at + 3 * sw + lanes);
        }
        if (n < nv) {
            FloatVector e0 = FloatVector.zero(F), e1 = e0, e2 = e0, e3 = e0, o0 = e0, o1 = e0, o2 = e0, o3 = e0;
            int c = 0, at = kt + n * lanes;
            for (; c + 2 <= d; c += 2, at += 2 * pad) {
                FloatVector k0 = FloatVector.fromArray(F, w, at), k1 = FloatVector.fromArray(F, w, at + pad);
                e0 = k0.fma(FloatVector.broadcast(F, q[q0 + c]), e0);
                o0 = k1.fma(FloatVector.broadcast(F, q[q0 + c + 1]), o0);
                e1 = k0.fma(FloatVector.broadcast(F, q[q1 + c]), e1);
                o1 = k1.fma(FloatVector.broadcast(F, q[q1 + c + 1]), o1);
                e2 = k0.fma(FloatVector.broadcast(F, q[q2 + c]), e2);
                o2 = k1.fma(FloatVector.broadcast(F, q[q2 + c + 1]), o2);
                e3 = k0.fma(FloatVector.broadcast(F, q[q3 + c]), e3);
                o3 = k1.fma(FloatVector.broadcast(F, q[q3 + c + 1]), o3);
            }
            if (c < d) {
                FloatVector k0 = FloatVector.fromArray(F, w, at);
                e0 = k0.fma(FloatVector.broadcast(F, q[q0 + c]), e0);
                e1 = k0.fma(FloatVector.broadcast(F, q[q1 + c]), e1);
                e2 = k0.fma(FloatVector.broadcast(F, q[q2 + c]), e2);
                e3 = k0.fma(FloatVector.broadcast(F, q[q3 + c]), e3);
            }
            int to = dst + n * lanes;
            e0.add(o0).mul(scale).intoArray(w, to);
            e1.add(o1).mul(scale).intoArray(w, to + sw);
            e2.add(o2).mul(scale).intoArray(w, to + 2 * sw);
            e3.add(o3).mul(scale).intoArray(w, to + 3 * sw);
        }
    }

    /**
     * The four rows' outputs (rows of dv floats at w[acc..]) plus their block of probabilities (rows of sw floats at
     * w[p..]) times the block's width values, v[vr..] onwards in rows of dv.
     */
    private static void values(float[] w, int p, int sw, float[] v, int vr, int dv, int width, int acc) {
        int lanes = F.length(), c = 0;
        for (; c + 2 * lanes <= dv; c += 2 * lanes) {
            int a0 = acc + c, a1 = a0 + dv, a2 = a1 + dv, a3 = a2 + dv;
            FloatVector o00 = FloatVector.fromArray(F, w, a0), o01 = FloatVector.fromArray(F, w, a0 + lanes);
            FloatVector o10 = FloatVector.fromArray(F, w, a1), o11 = FloatVector.fromArray(F, w, a1 + lanes);
            FloatVector o20 = FloatVector.fromArray(F, w, a2), o21 = FloatVector.fromArray(F, w, a2 + lanes);
            FloatVector o30 = FloatVector.fromArray(F, w, a3), o31 = FloatVector.fromArray(F, w, a3 + lanes);
            for (int j = 0, at = vr + c; j < width; j++, at += dv) {
                FloatVector v0 = FloatVector.fromArray(F, v, at), v1 = FloatVector.fromArray(F, v, at + lanes);
                FloatVector x = FloatVector.broadcast(F, w[p + j]);
                o00 = v0.fma(x, o00);
                o01 = v1.fma(x, o01);
                x = FloatVector.broadcast(F, w[p + sw + j]);
                o10 = v0.fma(x, o10);
                o11 = v1.fma(x, o11);
                x = FloatVector.broadcast(F, w[p + 2 * sw + j]);
                o20 = v0.fma(x, o20);
                o21 = v1.fma(x, o21);
                x = FloatVector.broadcast(F, w[p + 3 * sw + j]);
                o30 = v0.fma(x, o30);
                o31 = v1.fma(x, o31);
            }
            o00.intoArray(w, a0);
            o01.intoArray(w, a0 + lanes);
            o10.intoArray(w, a1);
            o11.intoArray(w, a1 + lanes);
            o20.intoArray(w, a2);
            o21.intoArray(w, a2 + lanes);
            o30.intoArray(w, a3);
            o31.intoArray(w, a3 + lanes);
        }
        if (c + lanes <= dv) {
            int a0 = acc + c, a1 = a0 + dv, a2 = a1 + dv, a3 = a2 + dv, j = 0, at = vr + c;
            FloatVector e0 = FloatVector.fromArray(F, w, a0), e1 = FloatVector.fromArray(F, w, a1);
            FloatVector e2 = FloatVector.fromArray(F, w, a2), e3 = FloatVector.fromArray(F, w, a3);
            FloatVector o0 = FloatVector.zero(F), o1 = o0, o2 = o0, o3 = o0;
            for (; j + 2 <= width; j += 2, at += 2 * dv) {
                FloatVector v0 = FloatVector.fromArray(F, v, at), v1 = FloatVector.fromArray(F, v, at + dv);
                e0 = v0.fma(FloatVector.broadcast(F, w[p + j]), e0);
                o0 = v1.fma(FloatVector.broadcast(F, w[p + j + 1]), o0);
                e1 = v0.fma(FloatVector.broadcast(F, w[p + sw + j]), e1);
                o1 = v1.fma(FloatVector.broadcast(F, w[p + sw + j + 1]), o1);
                e2 = v0.fma(FloatVector.broadcast(F, w[p + 2 * sw + j]), e2);
                o2 = v1.fma(FloatVector.broadcast(F, w[p + 2 * sw + j + 1]), o2);
                e3 = v0.fma(FloatVector.broadcast(F, w[p + 3 * sw + j]), e3);
                o3 = v1.fma(FloatVector.broadcast(F, w[p + 3 * sw + j + 1]), o3);
            }
            if (j < width) {
                FloatVector v0 = FloatVector.fromArray(F, v, at);
                e0 = v0.fma(FloatVector.broadcast(F, w[p + j]), e0);
                e1 = v0.fma(FloatVector.broadcast(F, w[p + sw + j]), e1);
                e2 = v0.fma(FloatVector.broadcast(F, w[p + 2 * sw + j]), e2);
                e3 = v0.fma(FloatVector.broadcast(F, w[p + 3 * sw + j]), e3);
            }
            e0.add(o0).intoArray(w, a0);
            e1.add(o1).intoArray(w, a1);
            e2.add(o2).intoArray(w, a2);
            e3.add(o3).intoArray(w, a3);
            c += lanes;
        }
        for (; c < dv; c++) {
            for (int r = 0; r < ROWS; r++) {
                float x = w[acc + r * dv + c];
                for (int j = 0; j < width; j++) x += w[p + r * sw + j] * v[vr + j * dv + c];
                w[acc + r * dv + c] = x;
            }
        }
    }

    /**
     * The group's block of scaled scores (four rows of sw floats at w[s..], the first width of each are keys): masked,
     * exponentiated against each row's new running maximum (w[m + r]) and summed into its running sum
     * (w[m + ROWS + r]); each row's output so far (rows of dv floats at w[o..]) rescaled to the new maximum. The four
     * rows go through exp in one call, so short rows (17 keys at vit-tiny) still give it eight independent vectors.
     * The lanes past width are exponentiated too (whatever they hold) and then zeroed.
     */
    private static void softmaxBlock(AttentionDims a, AttentionMaskLayout mask, int b, int i0, int j0, int width,
                                     float[] w, int s, int sw, int o, int m) {
        int lanes = F.length(), dv = a.dv();
        for (int r = 0; r < ROWS; r++) {
            int at = s + r * sw;
            float old = w[m + r], mNew = Math.max(old, maskRow(a, mask, b, Math.min(i0 + r, a.tq() - 1), j0, width, w, at));
            float shift = mNew == Float.NEGATIVE_INFINITY ? 0f : mNew;
            // While a row's maximum is -inf its output and sum are still exactly 0: no rescale needed.
            w[m + 2 * ROWS + r] = old == mNew || old == Float.NEGATIVE_INFINITY ? 1f : (float) Math.exp(old - shift);
            w[m + r] = mNew;
            for (int j = 0; j < sw; j += lanes) FloatVector.fromArray(F, w, at + j).sub(shift).intoArray(w, at + j);
        }
        VectorMath.exp(ROWS * sw, 1f, 0f, w, s, w, s);
        for (int r = 0; r < ROWS; r++) {
            int at = s + r * sw;
            for (int j = width; j < sw; j++) w[at + j] = 0f;
            FloatVector sum = FloatVector.fromArray(F, w, at);
            for (int j = lanes; j < sw; j += lanes) sum = sum.add(FloatVector.fromArray(F, w, at + j));
            float alpha = w[m + 2 * ROWS + r];
            w[m + ROWS + r] = w[m + ROWS + r] * alpha + sum.reduceLanes(VectorOperators.ADD);
            if (alpha != 1f) {
                int c = 0, row = o + r * dv;
                for (; c < F.loopBound(dv); c += lanes) FloatVector.fromArray(F, w, row + c).mul(alpha).intoArray(w, row + c);
                for (; c < dv; c++) w[row + c] *= alpha;
            }
        }
    }

    /** Row {@code row}'s block of scaled scores at w[s..s+width) masked in place; returns their maximum. */
    static float maskRow(AttentionDims a, AttentionMaskLayout mask, int b, int row, int j0, int width,
                                 float[] w, int s) {
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
        return blockMax;
    }
}
