package org.panagrad.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused attention backward in vectors. Per batch entry, keys and values are transposed into the workspace
 * ([d, paddedKeys] and [dv, paddedKeys], zero past tk), so that the score rows S = scale Q K^T and dP = g V^T are
 * vectors over keys; each row of S becomes its probabilities in place (masked as the forward masks, minus its
 * maximum, exponentiated, divided by its sum), each row of dP its score gradient dS = scale P (dP - rowsum(P dP)).
 * Then dQ = dS K, dK = dS^T Q and dV = P^T g. All five products are {@link AttentionRowProducts#times} (dS^T and
 * P^T read down their columns, never transposed).
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
        int keysToRow = a.causal() ? AttentionRowProducts.KEYS_TO_ROW : AttentionRowProducts.ALL;
        int toRow = a.causal() ? AttentionRowProducts.INNER_TO_ROW : AttentionRowProducts.ALL;
        int fromRow = a.causal() ? AttentionRowProducts.INNER_FROM_ROW : AttentionRowProducts.ALL;
        if (usesPackedGemm(a)) {
            packedEntries(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, out, dqOff, dkOff, dvOff, w, b0, b1);
            return;
        }
        for (int b = b0; b < b1; b++) {
            int qb = qOff + b * tq * d, kb = kOff + b * tk * d, vb = vOff + b * tk * dv, gb = gOff + b * tq * dv;
            transpose(k, kb, tk, d, w, kt, kp);
            transpose(v, vb, tk, dv, w, vt, kp);
            AttentionRowProducts.times(q, qb, d, 1, tq, d, w, kt, kp, kp, w, p, kp, keysToRow, false);
            AttentionRowProducts.times(g, gb, dv, 1, tq, dv, w, vt, kp, kp, w, ds, kp, keysToRow, false);
            boolean blind = rowPass(a, mask, b, w, p, ds);
            AttentionRowProducts.times(w, ds, kp, 1, tq, tk, k, kb, d, d, out, dqOff + b * tq * d, d, toRow, false);
            AttentionRowProducts.times(w, ds, 1, kp, tk, tq, q, qb, d, d, out, dkOff + b * tk * d, d, fromRow, false);
            AttentionRowProducts.times(w, p, 1, kp, tk, tq, g, gb, dv, dv, out, dvOff + b * tk * dv, dv, fromRow, false);
            if (blind) keysUnseen(out, dkOff + b * tk * d, tk * d, dvOff + b * tk * dv, tk * dv);
        }
    }

    /**
     * Whether an entry's five products go through the packed GEMM ({@link Gemm}) instead of the row loop: from
     * {@link #PACKED_MIN_KEYS} queries and keys without a causal mask (whose groups skip the keys past their diagonal
     * in the row loop), where the 12 x 32 micro-kernel's register block beats the loop's 4 x 2 vectors.
     */
    static boolean usesPackedGemm(AttentionDims a) {
        return !a.causal() && packedSizes(a);
    }

    /** Whether a's sizes, causal or not, are those the packed GEMM takes (see {@link #usesPackedGemm}). */
    static boolean packedSizes(AttentionDims a) {
        return a.tq() >= PACKED_MIN_KEYS && a.tk() >= PACKED_MIN_KEYS && a.tk() <= PACKED_MAX_KEYS && a.d() >= 32 && a.dv() >= 32;
    }

    /** Queries and keys from which an unmasked entry's products take the packed GEMM. */
    static final int PACKED_MIN_KEYS = 128;
    /**
     * Keys up to which they do: the packed forward holds 64 query rows of scores against all keys (256 KB per thread
     * here, within L2) and the packed backward an entry's scores whole; longer entries stream over key blocks with
     * the online softmax, whose scores stay 4 x 64 whatever the length.
     */
    static final int PACKED_MAX_KEYS = 1024;

    /**
     * Entries b0 to b1 by packed GEMMs: S = Q K^T and dP = g V^T into rows of paddedKeys at w[p..] and w[ds..] (K and
     * V read transposed in place, the columns past tk zeroed), the {@link #rowPass}, then dQ = dS K, dK = dS^T Q and
     * dV = P^T g. Called inside a pool part, each GEMM runs on its caller's thread. This method and the row pass are
     * both above C2's FreqInlineSize (325 bytes of bytecode), so each is a compilation of its own: inlined into
     * {@link #backward} with its GEMMs' drivers, an entry took that compilation past C2's node cutoff
     * (NodeCountInliningCutoff), which then left the row loop's vector helpers as calls and in about one 512-bit
     * test run in four a vector store as its allocating fallback. No vector value is created here.
     */
    private static void packedEntries(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k,
                                      int kOff, float[] v, int vOff, float[] g, int gOff, float[] out, int dqOff,
                                      int dkOff, int dvOff, float[] w, int b0, int b1) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), kp = a.paddedKeys();
        int p = (d + dv) * kp, ds = p + tq * kp;
        for (int b = b0; b < b1; b++) {
            int qb = qOff + b * tq * d, kb = kOff + b * tk * d, vb = vOff + b * tk * dv, gb = gOff + b * tq * dv;
            int dq = dqOff + b * tq * d, dk = dkOff + b * tk * d, dvAt = dvOff + b * tk * dv;
            Gemm.gemm(false, true, tq, tk, d, 1f, q, qb, d, k, kb, d, 0f, w, p, kp, null, 0, false, null, 0);
            Gemm.gemm(false, true, tq, tk, dv, 1f, g, gb, dv, v, vb, dv, 0f, w, ds, kp, null, 0, false, null, 0);
            for (int i = 0; i < tq; i++) {
                int row = p + i * kp, dRow = ds + i * kp;
                for (int j = tk; j < kp; j++) w[row + j] = w[dRow + j] = 0f;
            }
            // A row that sees no key needs no NaN written here: not causal, its NaN row of P and dS meets every key
            // in the GEMMs below (AttentionCases' blind-row mask at the packed sizes).
            rowPass(a, mask, b, w, p, ds);
            Gemm.gemm(false, false, tq, d, tk, 1f, w, ds, kp, k, kb, d, 0f, out, dq, d, null, 0, false, null, 0);
            Gemm.gemm(true, false, tk, d, tq, 1f, w, ds, kp, q, qb, d, 0f, out, dk, d, null, 0, false, null, 0);
            Gemm.gemm(true, false, tk, dv, tq, 1f, w, p, kp, g, gb, dv, 0f, out, dvAt, dv, null, 0, false, null, 0);
        }
    }

    /**
     * x [n, width] from x[xb..] into w[to..] as [width, kp]: element (j, c) at to + c * kp + j; zero for j >= n (kp a
     * whole number of vectors). Each row's padding is zeroed by vectors first (at vit-tiny's 17 keys, 15 scalar
     * stores per row were). Not through RegisterTranspose: called here, C2 left its blends as allocating Java calls
     * (vit-tiny's gradient 4.7 MB per call, JFR: Float512Vector.blend in RegisterTranspose.sixteen under this method).
     */
    static void transpose(float[] x, int xb, int n, int width, float[] w, int to, int kp) {
        int lanes = F.length(), full = n / lanes * lanes;
        FloatVector zero = FloatVector.zero(F);
        for (int c = 0; c < width; c++) {
            int row = to + c * kp;
            for (int j = full; j < kp; j += lanes) zero.intoArray(w, row + j);
            for (int j = 0, at = xb + c; j < n; j++, at += width) w[row + j] = x[at];
        }
    }

    /**
     * Row i's scores at w[at..at + width) (unscaled dots; zero past tk), masked or causal, into its probabilities,
     * zero past tk; past width nothing is read or written.
     */
    private static boolean probabilities(AttentionDims a, AttentionMaskLayout mask, int b, int i, float[] w, int at, int width) {
        int lanes = F.length(), tk = a.tk(), keys = Math.min(tk, width);
        for (int j = 0; j < width; j += lanes) FloatVector.fromArray(F, w, at + j).mul(a.scale()).intoArray(w, at + j);
        float max = AttentionSimd.maskRow(a, mask, b, i, 0, keys, w, at);
        float inv = 1f / VectorMath.expNonPositive(keys, max, w, at, w, at);
        int j = 0;
        for (; j < F.loopBound(keys); j += lanes) FloatVector.fromArray(F, w, at + j).mul(inv).intoArray(w, at + j);
        for (; j < keys; j++) w[at + j] *= inv;
        for (; j < width; j++) w[at + j] = 0f;
        return max == Float.NEGATIVE_INFINITY;
    }

    /**
     * An entry where some row sees no key (rowPass returned true): every key's and value's gradient, kLength floats
     * from kOff and vLength from vOff, is NaN, as the composed form's are; the causal products stop each row at its
     * diagonal, so they do not carry the NaN there themselves. The backward's dK and dV, the second order's kBar
     * and vBar.
     */
    static void keysUnseen(float[] out, int kOff, int kLength, int vOff, int vLength) {
        Arrays.fill(out, kOff, kOff + kLength, Float.NaN);
        Arrays.fill(out, vOff, vOff + vLength, Float.NaN);
    }

    /**
     * All tq score rows of entry b at w[p..] (rows of paddedKeys, each one's width as {@link AttentionRowProducts#width},
     * zero past tk) into their probabilities and, for ds >= 0, the rows of dP at w[ds..] into the score gradients
     * dS = scale P (dP - rowsum(P dP)). Without a mask or causality, the probabilities in three passes over the whole
     * entry so that exp runs once over tq x paddedKeys floats: at 17 keys a row is two vectors, too few to fill the
     * FMA pipes through exp's dependent polynomial steps, as one call per row did. Both forms of the backward and the
     * second order (ds < 0) call this one method, a compilation of its own (see {@link #packedEntries}).
     * <p>
     * Returns whether some row sees no key (every score hidden): its probabilities are NaN, as a softmax of -inf
     * is, and the composed form's gradients carry that NaN to every key of the entry. The causal products skip
     * each row's keys past its diagonal, so the callers write those NaNs themselves.
     */
    static boolean rowPass(AttentionDims a, AttentionMaskLayout mask, int b, float[] w, int p, int ds) {
        int tq = a.tq(), kp = a.paddedKeys(), lanes = F.length();
        boolean blind = false;
        if (mask != null || a.causal() || kp % lanes != 0) {
            for (int i = 0; i < tq; i++) {
                blind |= probabilities(a, mask, b, i, w, p + i * kp, AttentionRowProducts.width(a, i));
            }
        } else {
            for (int i = 0, at = p; i < tq; i++, at += kp) {
                float max = scaledMaximum(w, at, a.tk(), kp, a.scale());
                for (int j = 0; j < kp; j += lanes) FloatVector.fromArray(F, w, at + j).sub(max).intoArray(w, at + j);
            }
            VectorMath.expNonPositive(tq * kp, 0f, w, p, w, p);
            for (int i = 0, at = p; i < tq; i++, at += kp) {
                FloatVector sum = FloatVector.fromArray(F, w, at);
                for (int j = lanes; j < kp; j += lanes) sum = sum.add(FloatVector.fromArray(F, w, at + j));
                float rowSum = LaneSum.ORDERED_REDUCTION ? sum.reduceLanes(VectorOperators.ADD) : LaneSum.tree(sum);
                float inv = 1f / rowSum;
                for (int j = 0; j < kp; j += lanes) FloatVector.fromArray(F, w, at + j).mul(inv).intoArray(w, at + j);
            }
        }
        if (ds >= 0) {
            for (int i = 0; i < tq; i++) scoreGradient(w, p + i * kp, ds + i * kp, AttentionRowProducts.width(a, i), a.scale());
        }
        return blind;
    }

    /**
     * One unmasked row of scores at w[at..at + width) (width a whole number of vectors) scaled in place, the lanes past
     * the keys (zero, as every caller leaves them) set to -inf, so that exp (which clamps at -104) gives exactly 0
     * there; returns the row's maximum. Every vector adds a row of {@link #PAST_KEYS} (zeros for whole vectors of
     * keys), so no vector value merges across a branch.
     */
    private static float scaledMaximum(float[] w, int at, int keys, int width, float scale) {
        int lanes = F.length();
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < width; j += lanes) {
            int past = lanes - Math.max(0, Math.min(lanes, keys - j)); // lanes of this vector past the keys
            FloatVector x = FloatVector.fromArray(F, w, at + j).mul(scale).add(FloatVector.fromArray(F, PAST_KEYS, past));
            x.intoArray(w, at + j);
            max = max.max(x);
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    /** LANES zeros, then LANES -inf: read from LANES - p, the last p lanes are -inf. */
    private static final float[] PAST_KEYS = new float[2 * F.length()];

    static {
        Arrays.fill(PAST_KEYS, F.length(), 2 * F.length(), Float.NEGATIVE_INFINITY);
    }

    /** dP's row at w[dp..] into dS = scale P (dP - rowsum(P dP)) in place, P's row at w[pr..]; width a whole number of vectors. */
    private static void scoreGradient(float[] w, int pr, int dp, int width, float scale) {
        int lanes = F.length();
        FloatVector dot = FloatVector.zero(F);
        for (int j = 0; j < width; j += lanes) dot = FloatVector.fromArray(F, w, pr + j).fma(FloatVector.fromArray(F, w, dp + j), dot);
        float rowDot = LaneSum.ORDERED_REDUCTION ? dot.reduceLanes(VectorOperators.ADD) : LaneSum.tree(dot);
        for (int j = 0; j < width; j += lanes) {
            FloatVector pj = FloatVector.fromArray(F, w, pr + j);
            FloatVector.fromArray(F, w, dp + j).sub(rowDot).mul(pj).mul(scale).intoArray(w, dp + j);
        }
    }
}
