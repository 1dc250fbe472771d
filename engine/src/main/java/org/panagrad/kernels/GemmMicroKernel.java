package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner product of GEMM: an MR x NR tile of op(A) * op(B) over kc steps of k, as
 * MR*2 vector accumulators fed by one broadcast of A and two vectors of packed B per row and step.
 * <p>
 * Why 4 x (2 vectors): AVX2 has 16 ymm registers; 8 accumulators + 2 B vectors + 1 broadcast leaves
 * headroom (6 x 16 spilled a register on JDK 25), and 8 independent FMA chains cover the FMA latency
 * (5 cycles on Zen 1 at one 256-bit FMA per cycle). The width follows the preferred species, so on
 * AVX-512 the same code makes 4 x 32 tiles. Unrolling k was measured to make C2 box accumulators.
 */
final class GemmMicroKernel {
    private GemmMicroKernel() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int LANES = F.length();
    /** Rows of a tile. */
    static final int MR = 4;
    /** Columns of a tile: two vectors. */
    static final int NR = 2 * LANES;

    /**
     * tile[r * NR + j] = sum over p < kc of A(r, p) * B(p, j), where A(r, p) = a[aRow_r + p * aStep] and
     * B(p, j) = b[bPanel + p * NR + j] (a packed panel). Rows past the edge of C point at a valid row
     * (the caller clamps them); their results land in tile rows that are never stored.
     */
    static void multiply(int kc, float[] a, int aRow0, int aRow1, int aRow2, int aRow3, int aStep,
                         float[] b, int bPanel, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        int bi = bPanel;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi);
            FloatVector b1 = FloatVector.fromArray(F, b, bi + LANES);
            FloatVector x = FloatVector.broadcast(F, a[aRow0]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[aRow1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[aRow2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[aRow3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            aRow0 += aStep;
            aRow1 += aStep;
            aRow2 += aStep;
            aRow3 += aStep;
            bi += NR;
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, LANES);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + LANES);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + LANES);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + LANES);
    }
}
