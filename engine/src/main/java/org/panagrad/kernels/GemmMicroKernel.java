package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner product of GEMM: an MR x NR tile of op(A) * op(B) over kc steps of k, as
 * MR*2 vector accumulators fed by one broadcast of A and two vectors of packed B per row and step.
 * <p>
 * Why 6 x (2 vectors): this Zen 3 issues two 256-bit FMAs per cycle with a 4-cycle latency, so at least
 * 8 independent accumulator chains must be in flight; 12 accumulators + 2 B vectors + 1 broadcast fit the 16
 * ymm registers. The width follows the preferred species (4 x 32 style tiles on AVX-512).
 * Unrolling k was measured to make C2 box accumulators, so the loop is one step at a time.
 */
final class GemmMicroKernel {
    private GemmMicroKernel() {}

    static final VectorSpecies<Float> F = Simd.FLOAT;
    static final int LANES = F.length();
    /** Rows of a tile. */
    static final int MR = 6;
    /** Columns of a tile: two vectors. */
    static final int NR = 2 * LANES;
    /**
     * Rows of the narrower panels that finish a block whose rows MR does not divide (see
     * {@link BlockedGemm#panelRows}): 8 accumulators still cover the FMA latency, and 4 + 4 rows replace a
     * 6 + 2 pair whose short panel cost as much as a full one (3% of a 128 x 500 x 784 product).
     */
    static final int MR_EDGE = 4;

    /**
     * {@link #multiply} for a packed A panel: MR values per step. The loop runs on B's index with A's as a
     * second induction variable, the form in which C2 (JDK 17 and 25 alike) keeps all 12 accumulators in
     * registers and the loop body to the loads, FMAs and one range check of A (-XX:+PrintAssembly). Written
     * with the step counter (A at aPanel + p * MR), JDK 17 rebuilt p * 6 as p * 4 + p * 2 with two range
     * checks every step and JDK 25 spilled an accumulator: on L1-resident panels, best of many calls, JDK 17
     * 92 against 80 GFLOP/s, JDK 25 88-92 against 86 for the strided {@link #multiply} it used before.
     */
    static void multiplyPacked(int kc, float[] a, int aPanel, float[] b, int bPanel, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * NR; bi < end; bi += NR, ai += MR) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi);
            FloatVector b1 = FloatVector.fromArray(F, b, bi + LANES);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[ai + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(F, a[ai + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        c00.intoArray(tile, 0 * NR);
        c01.intoArray(tile, 0 * NR + LANES);
        c10.intoArray(tile, 1 * NR);
        c11.intoArray(tile, 1 * NR + LANES);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + LANES);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + LANES);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + LANES);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + LANES);
    }

    /**
     * tile[r * NR + j] = sum over p < kc of A(r, p) * B(p, j), where A(r, p) = a[aRow0 + r * aRowStride + p * aStep]
     * for all MR rows (the caller packs edge panels, so every read is valid) and B(p, j) = b[bPanel + p * NR + j]
     * (a packed panel). One running index keeps the loop's integer registers few.
     */
    static void multiply(int kc, float[] a, int aRow0, int aRowStride, int aStep,
                         float[] b, int bPanel, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        int ai = aRow0;
        int bi = bPanel;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi);
            FloatVector b1 = FloatVector.fromArray(F, b, bi + LANES);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[ai + aRowStride]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[ai + 2 * aRowStride]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[ai + 3 * aRowStride]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[ai + 4 * aRowStride]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(F, a[ai + 5 * aRowStride]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            ai += aStep;
            bi += NR;
        }
        c00.intoArray(tile, 0 * NR);
        c01.intoArray(tile, 0 * NR + LANES);
        c10.intoArray(tile, 1 * NR);
        c11.intoArray(tile, 1 * NR + LANES);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + LANES);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + LANES);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + LANES);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + LANES);
    }

    /** {@link #multiplyPacked} for a packed panel of {@link #MR_EDGE} rows (MR_EDGE values per step): tile rows 0..3. Same loop form. */
    static void multiplyPackedEdge(int kc, float[] a, int aPanel, float[] b, int bPanel, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * NR; bi < end; bi += NR, ai += MR_EDGE) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi);
            FloatVector b1 = FloatVector.fromArray(F, b, bi + LANES);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        c00.intoArray(tile, 0 * NR);
        c01.intoArray(tile, 0 * NR + LANES);
        c10.intoArray(tile, 1 * NR);
        c11.intoArray(tile, 1 * NR + LANES);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + LANES);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + LANES);
    }
}
