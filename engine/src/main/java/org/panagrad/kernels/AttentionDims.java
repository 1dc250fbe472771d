package org.panagrad.kernels;

/**
 * The sizes of one fused attention call: {@code batch} independent entries (batch and heads folded), each with
 * queries [tq, d], keys [tk, d], values [tk, dv] and output [tq, dv], contiguous; scores scaled by {@code scale};
 * {@code causal} masks key j from query i when j > i (torch's is_causal, aligned at the top left).
 */
public record AttentionDims(int batch, int tq, int tk, int d, int dv, float scale, boolean causal) {
    /** Keys per block of the online softmax: the scores of one block of four query rows stay in L1. */
    public static final int BLOCK = 64;
    /**
     * Query rows that share each key block while it is in L1 (the SIMD kernel's tile): at d = 64 a block's keys and
     * values take 32 KB, the tile's outputs 4 KB.
     */
    public static final int ROWS = 16;

    /**
     * Floats of workspace one call needs: one entry's keys transposed by blocks, one group's scores, outputs, state;
     * or (the packed GEMM path of long entries) the scores of {@link #BLOCK} query rows as whole rows of keys.
     */
    public int workspace() {
        return Math.max(keyBlocks() * BLOCK * d + 4 * BLOCK + ROWS * dv + 3 * ROWS, BLOCK * paddedKeys());
    }

    /** Keys rounded up to whole vectors of the widest species (16 floats): the backward's score rows. */
    public int paddedKeys() {
        return (tk + 15) / 16 * 16;
    }

    /**
     * Floats of workspace one backward call needs: one entry's keys and values transposed ([d + dv, paddedKeys]),
     * its probabilities and score gradients ([tq, paddedKeys] each).
     */
    public int backwardWorkspace() {
        return (d + dv + 2 * tq) * paddedKeys();
    }

    /**
     * Floats of workspace one second-order call needs: one entry's keys, values and their cotangents transposed
     * ([2 (d + dv), paddedKeys]) and four score-shaped rows ([4 tq, paddedKeys]).
     */
    public int secondOrderWorkspace() {
        return (2 * (d + dv) + 4 * tq) * paddedKeys();
    }

    int keyBlocks() {
        return (tk + BLOCK - 1) / BLOCK;
    }
}
