package org.panagrad.kernels;

import java.util.Locale;

/**
 * The sizes of one fused attention call: {@code batch} independent entries (batch and heads folded), each with
 * queries [tq, d], keys [tk, d], values [tk, dv] and output [tq, dv], contiguous; scores scaled by {@code scale};
 * {@code causal} masks key j from query i when j > i (torch's is_causal, aligned at the top left).
 */
public record AttentionDims(int batch, int tq, int tk, int d, int dv, float scale, boolean causal) {
    /**
     * Keys per block of the online softmax (the scores of one block of four query rows stay in L1), and query rows
     * per block of the packed forward.
     */
    public static final int BLOCK = 64;
    /**
     * Query rows that share each key block while it is in L1 (the SIMD kernel's tile): at d = 64 a block's keys and
     * values take 32 KB, the tile's outputs 4 KB.
     */
    public static final int ROWS = 16;

    /**
     * Floats of workspace one call needs: one entry's keys transposed by blocks, one group's scores, outputs, state;
     * for short entries ({@link AttentionSimd#wholeEntries}) at least its keys transposed and all its scores; or (the packed GEMM path of long entries) the scores of {@link #forwardRows} query rows as whole rows of keys and
     * their sums' inverses.
     */
    public int workspace() {
        int rowLoop = keyBlocks() * BLOCK * d + 4 * BLOCK + ROWS * dv + 3 * ROWS;
        int rows = forwardRows();
        if (AttentionSimd.wholeEntries(this)) return Math.max(rowLoop, (d + tq) * paddedKeys());
        return AttentionSimd.usesPackedGemm(this) ? Math.max(rowLoop, rows * paddedKeys() + rows) : rowLoop;
    }

    /** Floats of scores the packed forward holds per thread at most: 256 KB, a quarter of Zen 5's L2. */
    static final int PACKED_SCORES = 64 * 1024;

    /**
     * Query rows per unit of the forward (a multiple of {@link #ROWS}): {@link #BLOCK} for the row loop; for the
     * packed path as many (up to 256) as keep their scores within {@link #PACKED_SCORES} while the call still has
     * four units to share, because a GEMM of 64 query rows ran at 0.84x the rate of one of 256 at t256 (its K^T
     * packed again per block, a short M). Causal, {@link #BLOCK}: a unit's keys stop at its last row, so short units
     * skip more (62.5% of the products at T = 256). Depends on the sizes only, so a row's bits do not depend on the
     * threads.
     */
    public int forwardRows() {
        if (!AttentionSimd.usesPackedGemm(this) || causal) return BLOCK;
        int rows = 4 * BLOCK;
        while (rows > BLOCK && ((long) rows * paddedKeys() > PACKED_SCORES || (long) batch * ((tq + rows - 1) / rows) < 4)) rows /= 2;
        return rows;
    }

    /** Keys rounded up to whole vectors of the widest species (16 floats): the backward's score rows. */
    public int paddedKeys() {
        return (int) padded(tk);
    }

    /**
     * The most floats a workspace holds: one Java array (a few below Integer.MAX_VALUE, as JVMs allow). The backward
     * and the second order hold an entry's score rows whole, so this bounds their sequence length.
     */
    public static final int MAX_WORKSPACE = Integer.MAX_VALUE - 8;

    /**
     * Floats of workspace one backward call needs: one entry's keys and values transposed ([d + dv, paddedKeys]),
     * its probabilities and score gradients ([tq, paddedKeys] each). Fails, naming the sizes and the longest
     * sequence that fits, past {@link #MAX_WORKSPACE}.
     */
    public int backwardWorkspace() {
        return fitting("backward", d + dv, 2);
    }

    /**
     * Floats of workspace one second-order call needs: one entry's keys, values and their cotangents transposed
     * ([2 (d + dv), paddedKeys]) and four score-shaped rows ([4 tq, paddedKeys]). Fails past {@link #MAX_WORKSPACE}.
     */
    public int secondOrderWorkspace() {
        return fitting("second order", 2 * (d + dv), 4);
    }

    /** (fixedRows + rowsPerQuery tq) paddedKeys floats, or an error past {@link #MAX_WORKSPACE}. */
    private int fitting(String kernel, int fixedRows, int rowsPerQuery) {
        long n = floats(fixedRows, rowsPerQuery, tq, tk);
        if (n <= MAX_WORKSPACE) return (int) n;
        int longest = 1;
        for (int step = 1 << 20; step > 0; step >>= 1) {
            if (floats(fixedRows, rowsPerQuery, longest + step, longest + step) <= MAX_WORKSPACE) longest += step;
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT, "the fused attention %s at Tq = %d, Tk = %d (d = %d, dv = %d)"
                + " holds an entry's score rows whole: %,d floats per thread, more than one array holds (%,d); at these"
                + " head dims sequences up to Tq = Tk = %d fit", kernel, tq, tk, d, dv, n, (long) MAX_WORKSPACE, longest));
    }

    private static long floats(int fixedRows, int rowsPerQuery, long tq, long tk) {
        return (fixedRows + rowsPerQuery * tq) * padded(tk);
    }

    private static long padded(long keys) {
        return (keys + 15) / 16 * 16;
    }

    int keyBlocks() {
        return (tk + BLOCK - 1) / BLOCK;
    }
}
