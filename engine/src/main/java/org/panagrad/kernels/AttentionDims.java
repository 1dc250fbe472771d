package org.panagrad.kernels;

/**
 * The sizes of one fused attention call: {@code batch} independent entries (batch and heads folded), each with
 * queries [tq, d], keys [tk, d], values [tk, dv] and output [tq, dv], contiguous; scores scaled by {@code scale};
 * {@code causal} masks key j from query i when j > i (torch's is_causal, aligned at the top left).
 */
public record AttentionDims(int batch, int tq, int tk, int d, int dv, float scale, boolean causal) {
    /** Keys per block of the online softmax: the scores of one block of four query rows stay in L1. */
    public static final int BLOCK = 64;

    /** Floats of workspace one call needs: the keys of one entry transposed (padded to a vector), scores, sums. */
    public int workspace() {
        return d * paddedKeys() + 4 * BLOCK + 4 * dv + 16;
    }

    int paddedKeys() {
        int lanes = 16; // the widest species; the padding then suits every width
        return (tk + lanes - 1) / lanes * lanes;
    }
}
