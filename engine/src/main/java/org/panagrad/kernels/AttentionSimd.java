package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused attention forward in vectors, for the query rows [from, to) (from a multiple of {@link AttentionDims#ROWS})
 * of batch entries [b0, b1). Per entry the keys are transposed once into the workspace, block by block of 64 keys ([d, 64] each, contiguous, so a vector of scores is d broadcast-FMAs down unit-stride columns).
 * Query rows go in tiles of {@link AttentionDims#ROWS}: for each key block, the tile's groups of four rows take their
 * scores, softmax and values in turn, so the block's keys and values (16 KB each at d = 64) are read from L1 by all
 * of the tile's rows instead of from L2 by every four. Both products are {@link AttentionRowProducts#fourRows}
 * (eight FMA chains): Q K^T as 4 rows x 2 key vectors, P V as 4 rows x 2 output vectors.
 * A causal group stops at its last row's diagonal: the keys past it are hidden from all four rows. A last group of
 * fewer than four rows repeats its last row and writes only the real ones. Long entries (causal too) take the packed
 * GEMM instead, as the backward does: blocks of up to 256 query rows against whole rows of keys ({@link #packedRows}).
 * Short entries (vit-tiny's 17 x 17) are done whole, as the backward's row loop does them ({@link #wholeEntry}).
 */
final class AttentionSimd {
    private AttentionSimd() {}

    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final int ROWS = 4, STATE = 3 * ROWS; // per group: running maxima, sums, rescale factors

    static void forward(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                        float[] v, int vOff, float[] out, int outOff, float[] w, int b0, int b1, int from, int to) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), lanes = F.length(), bk = AttentionDims.BLOCK;
        int tile = AttentionDims.ROWS, scores = a.keyBlocks() * bk * d, acc = scores + ROWS * bk, ml = acc + tile * dv;
        if (from % tile != 0) throw new IllegalArgumentException("attention forward: query rows from " + from + ", not a multiple of " + tile);
        // An entry is done whole only when this unit owns all its rows (AttentionJob's units do, forwardRows() being
        // at least tq there); a unit of some rows streams them, as longer entries do.
        boolean packed = usesPackedGemm(a), whole = wholeEntries(a) && from == 0 && to == tq;
        for (int b = b0; b < b1; b++) {
            int qb = qOff + b * tq * d, kb = kOff + b * tk * d, vb = vOff + b * tk * dv, ob = outOff + b * tq * dv;
            if (whole) {
                wholeEntry(a, mask, b, q, qb, k, kb, v, vb, out, ob, w);
                continue;
            }
            if (packed) {
                for (int i0 = from, n = a.forwardRows(); i0 < to; i0 += n) {
                    packedRows(a, mask, b, i0, Math.min(to, i0 + n), q, qb, k, kb, v, vb, out, ob, w);
                }
                continue;
            }
            transposeKeys(k, kb, tk, d, w);
            for (int i0 = from; i0 < to; i0 += tile) {
                int rows = Math.min(tile, to - i0), groups = (rows + ROWS - 1) / ROWS;
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
                        // Scaled scores against the block's transposed keys, then P V added to the rows' outputs.
                        AttentionRowProducts.fourRows(q, q0, q1, q2, q3, 1, 0, d, w, j0 * d, bk, sw, w, scores, sw,
                                false, a.scale());
                        softmaxBlock(a, mask, b, g0, j0, width, w, scores, sw, groupAcc, ml + g * STATE);
                        AttentionRowProducts.fourRows(w, scores, scores + sw, scores + 2 * sw, scores + 3 * sw, 1, 0,
                                width, v, vb + j0 * dv, dv, dv, w, groupAcc, dv, true, 1f);
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
     * Whether an entry's forward is done whole, as the backward's row loop does it ({@link #wholeEntry}): at most
     * {@link AttentionDims#BLOCK} queries and keys (vit-tiny's 17), one unit of the forward ({@link
     * AttentionDims#forwardRows}) and one key block, where streaming with the online softmax only adds its running
     * state and gives exp four rows (eight vectors at 17 keys) per call.
     */
    static boolean wholeEntries(AttentionDims a) {
        return a.tq() <= AttentionDims.BLOCK && a.tk() <= AttentionDims.BLOCK;
    }

    /**
     * Entry b whole, where {@link #wholeEntries}: keys transposed to [d, paddedKeys] at w[0..], every row's scores
     * S = Q K^T at w[d paddedKeys..] (causal: each group of four rows up to its last row's key), all rows' probabilities
     * in one {@link AttentionBackwardSimd#rowPass} (exp once over the entry), then out = P V.
     */
    private static void wholeEntry(AttentionDims a, AttentionMaskLayout mask, int b, float[] q, int qb, float[] k,
                                   int kb, float[] v, int vb, float[] out, int ob, float[] w) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), kp = a.paddedKeys(), s = d * kp;
        int keysToRow = a.causal() ? AttentionRowProducts.KEYS_TO_ROW : AttentionRowProducts.ALL;
        int toRow = a.causal() ? AttentionRowProducts.INNER_TO_ROW : AttentionRowProducts.ALL;
        AttentionBackwardSimd.transpose(k, kb, tk, d, w, 0, kp);
        AttentionRowProducts.times(q, qb, d, 1, tq, d, w, 0, kp, kp, w, s, kp, keysToRow, false);
        AttentionBackwardSimd.rowPass(a, mask, b, w, s, -1);
        AttentionRowProducts.times(w, s, kp, 1, tq, tk, v, vb, dv, dv, out, ob, dv, toRow, false);
    }

    /**
     * Whether the forward takes packed GEMMs ({@link #packedRows}): at the sizes where the backward does
     * ({@link AttentionBackwardSimd#packedSizes}), causal too, since its units' keys stop at their last row (the row
     * loop's 4 x 2 vectors ran causal t256 at half the GEMM's rate).
     */
    static boolean usesPackedGemm(AttentionDims a) {
        return AttentionBackwardSimd.packedSizes(a);
    }

    /**
     * Query rows [i0, i1) (at most {@link AttentionDims#forwardRows}) of entry b by packed GEMMs, where
     * {@link #usesPackedGemm}: their scaled scores against all keys (causal: up to row i1 - 1) as whole rows
     * at w[0..] (K read transposed in place, the scale as the GEMM's alpha), each row exponentiated against its own
     * maximum, P V into the output, and each output row divided by its row's sum (dv divisions, not tk). Only these
     * rows' scores exist at a time; their sums' inverses follow them in w. Called inside a pool part, each GEMM runs
     * on its caller's thread.
     */
    private static void packedRows(AttentionDims a, AttentionMaskLayout mask, int b, int i0, int i1, float[] q, int qb,
                                   float[] k, int kb, float[] v, int vb, float[] out, int ob, float[] w) {
        int d = a.d(), dv = a.dv(), kp = a.paddedKeys(), rows = i1 - i0, inv = rows * kp, lanes = F.length();
        int tk = a.causal() ? Math.min(a.tk(), i1) : a.tk();
        Gemm.gemm(false, true, rows, tk, d, a.scale(), q, qb + i0 * d, d, k, kb, d, 0f, w, 0, kp, null, 0, false, null, 0);
        for (int r = 0; r < rows; r++) {
            float max = maskRow(a, mask, b, i0 + r, 0, tk, w, r * kp);
            w[inv + r] = 1f / VectorMath.expNonPositive(tk, max, w, r * kp, w, r * kp);
        }
        Gemm.gemm(false, false, rows, dv, tk, 1f, w, 0, kp, v, vb, dv, 0f, out, ob + i0 * dv, dv, null, 0, false, null, 0);
        for (int r = 0; r < rows; r++) {
            float x = w[inv + r];
            int c = 0, row = ob + (i0 + r) * dv;
            for (; c < F.loopBound(dv); c += lanes) FloatVector.fromArray(F, out, row + c).mul(x).intoArray(out, row + c);
            for (; c < dv; c++) out[row + c] *= x;
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
        VectorMath.expNonPositive(ROWS * sw, 0f, w, s, w, s);
        for (int r = 0; r < ROWS; r++) {
            int at = s + r * sw;
            for (int j = width; j < sw; j++) w[at + j] = 0f;
            FloatVector sum = FloatVector.fromArray(F, w, at);
            for (int j = lanes; j < sw; j += lanes) sum = sum.add(FloatVector.fromArray(F, w, at + j));
            float alpha = w[m + 2 * ROWS + r];
            float rowSum = LaneSum.ORDERED_REDUCTION ? sum.reduceLanes(VectorOperators.ADD) : LaneSum.tree(sum);
            w[m + ROWS + r] = w[m + ROWS + r] * alpha + rowSum;
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
        int j = 0;
        // Nothing to hide (the packed forward's usual case): the maximum only, the scores left as they are.
        if (mask == null && !a.causal()) for (; j < full; j += lanes) max = max.max(FloatVector.fromArray(F, w, s + j));
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
                // Key indexes as floats (exact below 2^24): an IntVector iota, made on every call, was left allocating
                // by C2 in some compilations (192 B per row, JFR: IntVector.zero and Int512Vector.lanewise here).
                x = x.blend(Float.NEGATIVE_INFINITY,
                        FloatVector.fromArray(F, GemmMicroKernel.LANE_INDEX, 0).add(j0 + j).compare(VectorOperators.GT, row));
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
