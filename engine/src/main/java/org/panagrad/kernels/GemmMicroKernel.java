package org.panagrad.kernels;

import static org.panagrad.kernels.BlockedGemm.A_ROW_STRIDE;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner product of GEMM: an MR x NR tile of op(A) * op(B) over kc steps of k, as MR * 2
 * vector accumulators fed by one broadcast of A and two vectors of B per row and step. The tile is chosen
 * once, at start-up, for the vector width ({@link Simd#FLOAT}):
 * <ul>
 * <li>8 lanes (AVX2, 16 ymm registers): 5 x 16. Two 256-bit FMA pipes with a 4-cycle latency need at least 8
 * independent accumulator chains in flight; 10 accumulators + 2 B vectors + the broadcasts leave C2's register
 * allocator room. The 6 x 16 tile before it (12 + 2 + 1 = 15, and C2 keeps a second broadcast in flight: all 16)
 * was compiled without a spill in some JVMs and, from the same bytecode, with three accumulators on the stack and
 * register moves in its loop in others (seen with -XX:+PrintAssembly, two copies of the kernel in one JVM under
 * -XX:UseAVX=2 on a Zen 5): the same product then ran at half the speed, fork by fork (784 x 500 x 128 TN:
 * 0.45 to 1.81 between two class loaders of one jar).</li>
 * <li>16 lanes (AVX-512, 32 zmm registers): 12 x 32, 24 accumulators + 2 + 1 = 27 registers, the shape of BLIS's
 * SkylakeX/Zen 4 kernel (32 x 12 in its column-major terms). Twice the rows of the AVX2 tile halve the B
 * traffic per FMA: each 64-byte B vector loaded from L2 feeds 12 FMAs instead of 6 (measured on a Zen 5, B
 * streaming from L2: 210 against 200 GFLOP/s for 6 x 32, +2-5% on whole products).</li>
 * </ul>
 * The rows of a block that MR does not divide go to narrower panels ({@link BlockedGemm#panelRows}): 8 rows
 * (16 lanes only) and 4 rows. B is read {@code bStep} floats apart per step: NR in a packed panel, B's leading
 * dimension when it is read in place.
 * Unrolling k was measured to make C2 box accumulators, so the loops take one step at a time. They run on B's
 * index with A's as a second induction variable, the form in which C2 (JDK 17 and 25 alike) keeps every
 * accumulator in registers and the loop body to the loads, FMAs and one range check of A (-XX:+PrintAssembly).
 * Written with the step counter (A at aPanel + p * MR), JDK 17 rebuilt p * 6 as p * 4 + p * 2 with two range
 * checks every step and JDK 25 spilled an accumulator.
 */
final class GemmMicroKernel {
    private GemmMicroKernel() {}

    static final VectorSpecies<Float> F = Simd.FLOAT;
    static final int LANES = F.length();
    /** Rows of a tile. */
    static final int MR = LANES >= 16 ? 12 : 5;
    /** Columns of a tile: two vectors. */
    static final int NR = 2 * LANES;
    /** Lane j holds j: compared with a count, it selects the first lanes of a vector. */
    static final float[] LANE_INDEX = new float[LANES];

    static {
        for (int j = 0; j < LANES; j++) LANE_INDEX[j] = j;
    }

    /**
     * tile[r * NR + j] = sum over p < kc of A(r, p) * B(p, j) for the r < rows of a packed panel of A (rows values
     * per step from aPanel on: MR, or 8 or 4 for the panels that finish a block, or at 16 lanes 10 for
     * {@link NarrowGemm}'s panel of an output layer's 10 classes) and B(p, j) = b[bPanel + p * bStep + j].
     */
    static void multiplyPacked(int rows, int kc, float[] a, int aPanel, float[] b, int bPanel, int bStep, float[] tile) {
        if (rows == MR) {
            if (MR == 12) packed12(kc, a, aPanel, b, bPanel, bStep, tile);
            else packed5(kc, a, aPanel, b, bPanel, bStep, tile);
        } else if (rows == 8) {
            packed8(kc, a, aPanel, b, bPanel, bStep, tile);
        } else if (rows == 10 && MR == 12) {
            packed10(kc, a, aPanel, b, bPanel, bStep, tile);
        } else {
            packed4(kc, a, aPanel, b, bPanel, bStep, tile);
        }
    }

    /**
     * {@link #multiplyPacked} for a panel of A packed as rows ({@link GemmPacking#packARows}, 16 lanes):
     * A(r, p) = a[aPanel + r * A_ROW_STRIDE + p] for the r < rows (12, 8 or 4). The row stride is a constant, so
     * each broadcast reads at a fixed displacement from one index, as in {@link #multiplyPacked}: the same loads,
     * FMAs and order of operations, so the same bits.
     */
    static void multiplyRows(int rows, int kc, float[] a, int aPanel, float[] b, int bPanel, int bStep, float[] tile) {
        if (rows == 12) rows12(kc, a, aPanel, b, bPanel, bStep, tile);
        else if (rows == 8) rows8(kc, a, aPanel, b, bPanel, bStep, tile);
        else rows4(kc, a, aPanel, b, bPanel, bStep, tile);
    }

    /**
     * {@link #multiplyPacked} for MR rows of A read in place: A(r, p) = a[aRow0 + r * aRowStride + p * aStep]
     * for all MR rows (the caller packs edge panels, so every read is valid).
     */
    static void multiply(int kc, float[] a, int aRow0, int aRowStride, int aStep, float[] b, int bPanel, int bStep,
                         float[] tile) {
        if (MR == 12) strided12(kc, a, aRow0, aRowStride, aStep, b, bPanel, bStep, tile);
        else strided5(kc, a, aRow0, aRowStride, aStep, b, bPanel, bStep, tile);
    }

    /**
     * {@link #multiplyPacked} for a whole MR x NR tile of a packed A panel and a packed B panel, with alpha = 1,
     * beta = 0 and at most a mask for an epilogue, written from the registers straight into C at ci (leading
     * dimension ldc), zeroed where mask[mi ..] is not positive (mask may be C itself: each mask vector is read
     * before its C vector is written): the operations of {@link GemmStore#store} on that case, so the same bits,
     * without the tile's round trip (a store and a load of every accumulator), which at a short k costs about
     * as much as a third of the FMAs (128 x 500 x 10 NT: 10 steps of 24 FMAs per tile). The epilogue is written
     * out in each kernel rather than in a method taking the accumulators: a call that C2 does not inline boxes
     * every vector argument (measured: 32 KB per call at 256 bits on JDK 17). And one kernel per epilogue: a
     * 12-row kernel with both (2177 bytecodes) ran out of C1's registers ("COMPILE SKIPPED: out of virtual
     * registers"), so until C2 compiled it, and after any deoptimisation, it ran interpreted, boxing every vector.
     */
    static void multiplyPackedInto(int kc, float[] a, int aPanel, float[] b, int bPanel, float[] c, int ci, int ldc,
                                   float[] mask, int mi) {
        if (mask == null) {
            if (MR == 12) packed12Into(kc, a, aPanel, b, bPanel, c, ci, ldc);
            else packed5Into(kc, a, aPanel, b, bPanel, c, ci, ldc);
        } else if (MR == 12) {
            packed12IntoMasked(kc, a, aPanel, b, bPanel, c, ci, ldc, mask, mi);
        } else {
            packed5IntoMasked(kc, a, aPanel, b, bPanel, c, ci, ldc, mask, mi);
        }
    }

    private static void packed12Into(int kc, float[] a, int aPanel, float[] b, int bPanel, float[] c, int ci, int ldc) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        FloatVector c80 = FloatVector.zero(F), c81 = FloatVector.zero(F);
        FloatVector c90 = FloatVector.zero(F), c91 = FloatVector.zero(F);
        FloatVector c100 = FloatVector.zero(F), c101 = FloatVector.zero(F);
        FloatVector c110 = FloatVector.zero(F), c111 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * NR; bi < end; bi += NR, ai += 12) {
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
            x = FloatVector.broadcast(F, a[ai + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(F, a[ai + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(F, a[ai + 8]);
            c80 = x.fma(b0, c80);
            c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(F, a[ai + 9]);
            c90 = x.fma(b0, c90);
            c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(F, a[ai + 10]);
            c100 = x.fma(b0, c100);
            c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(F, a[ai + 11]);
            c110 = x.fma(b0, c110);
            c111 = x.fma(b1, c111);
        }
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + LANES);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + LANES);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + LANES);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + LANES);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + LANES);
        c50.intoArray(c, ci + 5 * ldc);
        c51.intoArray(c, ci + 5 * ldc + LANES);
        c60.intoArray(c, ci + 6 * ldc);
        c61.intoArray(c, ci + 6 * ldc + LANES);
        c70.intoArray(c, ci + 7 * ldc);
        c71.intoArray(c, ci + 7 * ldc + LANES);
        c80.intoArray(c, ci + 8 * ldc);
        c81.intoArray(c, ci + 8 * ldc + LANES);
        c90.intoArray(c, ci + 9 * ldc);
        c91.intoArray(c, ci + 9 * ldc + LANES);
        c100.intoArray(c, ci + 10 * ldc);
        c101.intoArray(c, ci + 10 * ldc + LANES);
        c110.intoArray(c, ci + 11 * ldc);
        c111.intoArray(c, ci + 11 * ldc + LANES);
    }

    private static void packed12IntoMasked(int kc, float[] a, int aPanel, float[] b, int bPanel, float[] c, int ci, int ldc,
                                           float[] mask, int mi) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        FloatVector c80 = FloatVector.zero(F), c81 = FloatVector.zero(F);
        FloatVector c90 = FloatVector.zero(F), c91 = FloatVector.zero(F);
        FloatVector c100 = FloatVector.zero(F), c101 = FloatVector.zero(F);
        FloatVector c110 = FloatVector.zero(F), c111 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * NR; bi < end; bi += NR, ai += 12) {
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
            x = FloatVector.broadcast(F, a[ai + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(F, a[ai + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(F, a[ai + 8]);
            c80 = x.fma(b0, c80);
            c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(F, a[ai + 9]);
            c90 = x.fma(b0, c90);
            c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(F, a[ai + 10]);
            c100 = x.fma(b0, c100);
            c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(F, a[ai + 11]);
            c110 = x.fma(b0, c110);
            c111 = x.fma(b1, c111);
        }
        FloatVector zero = FloatVector.zero(F);
        zero.blend(c00, FloatVector.fromArray(F, mask, mi).compare(VectorOperators.GT, 0f)).intoArray(c, ci);
        zero.blend(c01, FloatVector.fromArray(F, mask, mi + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + LANES);
        zero.blend(c10, FloatVector.fromArray(F, mask, mi + 1 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 1 * ldc);
        zero.blend(c11, FloatVector.fromArray(F, mask, mi + 1 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 1 * ldc + LANES);
        zero.blend(c20, FloatVector.fromArray(F, mask, mi + 2 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 2 * ldc);
        zero.blend(c21, FloatVector.fromArray(F, mask, mi + 2 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 2 * ldc + LANES);
        zero.blend(c30, FloatVector.fromArray(F, mask, mi + 3 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 3 * ldc);
        zero.blend(c31, FloatVector.fromArray(F, mask, mi + 3 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 3 * ldc + LANES);
        zero.blend(c40, FloatVector.fromArray(F, mask, mi + 4 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 4 * ldc);
        zero.blend(c41, FloatVector.fromArray(F, mask, mi + 4 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 4 * ldc + LANES);
        zero.blend(c50, FloatVector.fromArray(F, mask, mi + 5 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 5 * ldc);
        zero.blend(c51, FloatVector.fromArray(F, mask, mi + 5 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 5 * ldc + LANES);
        zero.blend(c60, FloatVector.fromArray(F, mask, mi + 6 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 6 * ldc);
        zero.blend(c61, FloatVector.fromArray(F, mask, mi + 6 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 6 * ldc + LANES);
        zero.blend(c70, FloatVector.fromArray(F, mask, mi + 7 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 7 * ldc);
        zero.blend(c71, FloatVector.fromArray(F, mask, mi + 7 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 7 * ldc + LANES);
        zero.blend(c80, FloatVector.fromArray(F, mask, mi + 8 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 8 * ldc);
        zero.blend(c81, FloatVector.fromArray(F, mask, mi + 8 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 8 * ldc + LANES);
        zero.blend(c90, FloatVector.fromArray(F, mask, mi + 9 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 9 * ldc);
        zero.blend(c91, FloatVector.fromArray(F, mask, mi + 9 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 9 * ldc + LANES);
        zero.blend(c100, FloatVector.fromArray(F, mask, mi + 10 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 10 * ldc);
        zero.blend(c101, FloatVector.fromArray(F, mask, mi + 10 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 10 * ldc + LANES);
        zero.blend(c110, FloatVector.fromArray(F, mask, mi + 11 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 11 * ldc);
        zero.blend(c111, FloatVector.fromArray(F, mask, mi + 11 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 11 * ldc + LANES);
    }

    private static void packed5Into(int kc, float[] a, int aPanel, float[] b, int bPanel, float[] c, int ci, int ldc) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * NR; bi < end; bi += NR, ai += 5) {
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
        }
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + LANES);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + LANES);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + LANES);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + LANES);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + LANES);
    }

    private static void packed5IntoMasked(int kc, float[] a, int aPanel, float[] b, int bPanel, float[] c, int ci, int ldc,
                                           float[] mask, int mi) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * NR; bi < end; bi += NR, ai += 5) {
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
        }
        FloatVector zero = FloatVector.zero(F);
        zero.blend(c00, FloatVector.fromArray(F, mask, mi).compare(VectorOperators.GT, 0f)).intoArray(c, ci);
        zero.blend(c01, FloatVector.fromArray(F, mask, mi + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + LANES);
        zero.blend(c10, FloatVector.fromArray(F, mask, mi + 1 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 1 * ldc);
        zero.blend(c11, FloatVector.fromArray(F, mask, mi + 1 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 1 * ldc + LANES);
        zero.blend(c20, FloatVector.fromArray(F, mask, mi + 2 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 2 * ldc);
        zero.blend(c21, FloatVector.fromArray(F, mask, mi + 2 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 2 * ldc + LANES);
        zero.blend(c30, FloatVector.fromArray(F, mask, mi + 3 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 3 * ldc);
        zero.blend(c31, FloatVector.fromArray(F, mask, mi + 3 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 3 * ldc + LANES);
        zero.blend(c40, FloatVector.fromArray(F, mask, mi + 4 * ldc).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 4 * ldc);
        zero.blend(c41, FloatVector.fromArray(F, mask, mi + 4 * ldc + LANES).compare(VectorOperators.GT, 0f)).intoArray(c, ci + 4 * ldc + LANES);
    }

    private static void packed12(int kc, float[] a, int aPanel, float[] b, int bPanel, int bStep, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        FloatVector c80 = FloatVector.zero(F), c81 = FloatVector.zero(F);
        FloatVector c90 = FloatVector.zero(F), c91 = FloatVector.zero(F);
        FloatVector c100 = FloatVector.zero(F), c101 = FloatVector.zero(F);
        FloatVector c110 = FloatVector.zero(F), c111 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * bStep; bi < end; bi += bStep, ai += 12) {
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
            x = FloatVector.broadcast(F, a[ai + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(F, a[ai + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(F, a[ai + 8]);
            c80 = x.fma(b0, c80);
            c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(F, a[ai + 9]);
            c90 = x.fma(b0, c90);
            c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(F, a[ai + 10]);
            c100 = x.fma(b0, c100);
            c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(F, a[ai + 11]);
            c110 = x.fma(b0, c110);
            c111 = x.fma(b1, c111);
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
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + LANES);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + LANES);
        c80.intoArray(tile, 8 * NR);
        c81.intoArray(tile, 8 * NR + LANES);
        c90.intoArray(tile, 9 * NR);
        c91.intoArray(tile, 9 * NR + LANES);
        c100.intoArray(tile, 10 * NR);
        c101.intoArray(tile, 10 * NR + LANES);
        c110.intoArray(tile, 11 * NR);
        c111.intoArray(tile, 11 * NR + LANES);
    }

    private static void packed8(int kc, float[] a, int aPanel, float[] b, int bPanel, int bStep, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * bStep; bi < end; bi += bStep, ai += 8) {
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
            x = FloatVector.broadcast(F, a[ai + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(F, a[ai + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
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
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + LANES);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + LANES);
    }

    private static void packed10(int kc, float[] a, int aPanel, float[] b, int bPanel, int bStep, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        FloatVector c80 = FloatVector.zero(F), c81 = FloatVector.zero(F);
        FloatVector c90 = FloatVector.zero(F), c91 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * bStep; bi < end; bi += bStep, ai += 10) {
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
            x = FloatVector.broadcast(F, a[ai + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(F, a[ai + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(F, a[ai + 8]);
            c80 = x.fma(b0, c80);
            c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(F, a[ai + 9]);
            c90 = x.fma(b0, c90);
            c91 = x.fma(b1, c91);
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
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + LANES);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + LANES);
        c80.intoArray(tile, 8 * NR);
        c81.intoArray(tile, 8 * NR + LANES);
        c90.intoArray(tile, 9 * NR);
        c91.intoArray(tile, 9 * NR + LANES);
    }

    private static void packed5(int kc, float[] a, int aPanel, float[] b, int bPanel, int bStep, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * bStep; bi < end; bi += bStep, ai += 5) {
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
    }

    private static void packed4(int kc, float[] a, int aPanel, float[] b, int bPanel, int bStep, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * bStep; bi < end; bi += bStep, ai += 4) {
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

    private static void rows12(int kc, float[] a, int aPanel, float[] b, int bPanel, int bStep, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        FloatVector c80 = FloatVector.zero(F), c81 = FloatVector.zero(F);
        FloatVector c90 = FloatVector.zero(F), c91 = FloatVector.zero(F);
        FloatVector c100 = FloatVector.zero(F), c101 = FloatVector.zero(F);
        FloatVector c110 = FloatVector.zero(F), c111 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * bStep; bi < end; bi += bStep, ai++) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi);
            FloatVector b1 = FloatVector.fromArray(F, b, bi + LANES);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[ai + 1 * A_ROW_STRIDE]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[ai + 2 * A_ROW_STRIDE]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[ai + 3 * A_ROW_STRIDE]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[ai + 4 * A_ROW_STRIDE]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(F, a[ai + 5 * A_ROW_STRIDE]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(F, a[ai + 6 * A_ROW_STRIDE]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(F, a[ai + 7 * A_ROW_STRIDE]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(F, a[ai + 8 * A_ROW_STRIDE]);
            c80 = x.fma(b0, c80);
            c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(F, a[ai + 9 * A_ROW_STRIDE]);
            c90 = x.fma(b0, c90);
            c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(F, a[ai + 10 * A_ROW_STRIDE]);
            c100 = x.fma(b0, c100);
            c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(F, a[ai + 11 * A_ROW_STRIDE]);
            c110 = x.fma(b0, c110);
            c111 = x.fma(b1, c111);
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
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + LANES);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + LANES);
        c80.intoArray(tile, 8 * NR);
        c81.intoArray(tile, 8 * NR + LANES);
        c90.intoArray(tile, 9 * NR);
        c91.intoArray(tile, 9 * NR + LANES);
        c100.intoArray(tile, 10 * NR);
        c101.intoArray(tile, 10 * NR + LANES);
        c110.intoArray(tile, 11 * NR);
        c111.intoArray(tile, 11 * NR + LANES);
    }

    private static void rows8(int kc, float[] a, int aPanel, float[] b, int bPanel, int bStep, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * bStep; bi < end; bi += bStep, ai++) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi);
            FloatVector b1 = FloatVector.fromArray(F, b, bi + LANES);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[ai + 1 * A_ROW_STRIDE]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[ai + 2 * A_ROW_STRIDE]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[ai + 3 * A_ROW_STRIDE]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[ai + 4 * A_ROW_STRIDE]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(F, a[ai + 5 * A_ROW_STRIDE]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(F, a[ai + 6 * A_ROW_STRIDE]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(F, a[ai + 7 * A_ROW_STRIDE]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
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
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + LANES);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + LANES);
    }

    private static void rows4(int kc, float[] a, int aPanel, float[] b, int bPanel, int bStep, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aPanel, end = bPanel + kc * bStep; bi < end; bi += bStep, ai++) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi);
            FloatVector b1 = FloatVector.fromArray(F, b, bi + LANES);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[ai + 1 * A_ROW_STRIDE]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[ai + 2 * A_ROW_STRIDE]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[ai + 3 * A_ROW_STRIDE]);
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

    private static void strided12(int kc, float[] a, int aRow0, int aRowStride, int aStep, float[] b, int bPanel, int bStep, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        FloatVector c80 = FloatVector.zero(F), c81 = FloatVector.zero(F);
        FloatVector c90 = FloatVector.zero(F), c91 = FloatVector.zero(F);
        FloatVector c100 = FloatVector.zero(F), c101 = FloatVector.zero(F);
        FloatVector c110 = FloatVector.zero(F), c111 = FloatVector.zero(F);
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
            x = FloatVector.broadcast(F, a[ai + 6 * aRowStride]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(F, a[ai + 7 * aRowStride]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(F, a[ai + 8 * aRowStride]);
            c80 = x.fma(b0, c80);
            c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(F, a[ai + 9 * aRowStride]);
            c90 = x.fma(b0, c90);
            c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(F, a[ai + 10 * aRowStride]);
            c100 = x.fma(b0, c100);
            c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(F, a[ai + 11 * aRowStride]);
            c110 = x.fma(b0, c110);
            c111 = x.fma(b1, c111);
            ai += aStep;
            bi += bStep;
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
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + LANES);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + LANES);
        c80.intoArray(tile, 8 * NR);
        c81.intoArray(tile, 8 * NR + LANES);
        c90.intoArray(tile, 9 * NR);
        c91.intoArray(tile, 9 * NR + LANES);
        c100.intoArray(tile, 10 * NR);
        c101.intoArray(tile, 10 * NR + LANES);
        c110.intoArray(tile, 11 * NR);
        c111.intoArray(tile, 11 * NR + LANES);
    }

    private static void strided5(int kc, float[] a, int aRow0, int aRowStride, int aStep, float[] b, int bPanel, int bStep, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
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
            ai += aStep;
            bi += bStep;
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
    }
    /**
     * {@link NarrowGemm}'s kernel for A's rows contiguous along k (A(r, p) = a[aRow0 + r * lda + p], as stored):
     * tile[r * LANES + j] = sum over p < kc of A(r, p) * b[bPanel + p * LANES + j] for r < 12. Each row has its own
     * loop-invariant start and the loop runs on p, so C2 checks the rows' ranges once before the loop rather than
     * at every broadcast (with a[ai + r * lda] it checked all twelve every step).
     */
    static void narrowRowMajor(int kc, float[] a, int aRow0, int lda, float[] b, int bPanel, float[] tile) {
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        FloatVector c4 = FloatVector.zero(F), c5 = FloatVector.zero(F), c6 = FloatVector.zero(F), c7 = FloatVector.zero(F);
        FloatVector c8 = FloatVector.zero(F), c9 = FloatVector.zero(F), c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        int a0 = aRow0, a1 = aRow0 + lda, a2 = aRow0 + 2 * lda, a3 = aRow0 + 3 * lda, a4 = aRow0 + 4 * lda, a5 = aRow0 + 5 * lda;
        int a6 = aRow0 + 6 * lda, a7 = aRow0 + 7 * lda, a8 = aRow0 + 8 * lda, a9 = aRow0 + 9 * lda, a10 = aRow0 + 10 * lda, a11 = aRow0 + 11 * lda;
        for (int p = 0, bi = bPanel; p < kc; p++, bi += LANES) {
            FloatVector bv = FloatVector.fromArray(F, b, bi);
            c0 = FloatVector.broadcast(F, a[a0 + p]).fma(bv, c0);
            c1 = FloatVector.broadcast(F, a[a1 + p]).fma(bv, c1);
            c2 = FloatVector.broadcast(F, a[a2 + p]).fma(bv, c2);
            c3 = FloatVector.broadcast(F, a[a3 + p]).fma(bv, c3);
            c4 = FloatVector.broadcast(F, a[a4 + p]).fma(bv, c4);
            c5 = FloatVector.broadcast(F, a[a5 + p]).fma(bv, c5);
            c6 = FloatVector.broadcast(F, a[a6 + p]).fma(bv, c6);
            c7 = FloatVector.broadcast(F, a[a7 + p]).fma(bv, c7);
            c8 = FloatVector.broadcast(F, a[a8 + p]).fma(bv, c8);
            c9 = FloatVector.broadcast(F, a[a9 + p]).fma(bv, c9);
            c10 = FloatVector.broadcast(F, a[a10 + p]).fma(bv, c10);
            c11 = FloatVector.broadcast(F, a[a11 + p]).fma(bv, c11);
        }
        c0.intoArray(tile, 0 * LANES);
        c1.intoArray(tile, 1 * LANES);
        c2.intoArray(tile, 2 * LANES);
        c3.intoArray(tile, 3 * LANES);
        c4.intoArray(tile, 4 * LANES);
        c5.intoArray(tile, 5 * LANES);
        c6.intoArray(tile, 6 * LANES);
        c7.intoArray(tile, 7 * LANES);
        c8.intoArray(tile, 8 * LANES);
        c9.intoArray(tile, 9 * LANES);
        c10.intoArray(tile, 10 * LANES);
        c11.intoArray(tile, 11 * LANES);
    }

    /**
     * {@link NarrowGemm}'s kernel for the rows of a step contiguous (A(r, p) = a[aRow0 + p * aStep + r]: a transposed A
     * in place, or a packed panel with aStep = 12): tile[r * LANES + j] = sum over p < kc of A(r, p) * b[bPanel + p * LANES + j]
     * for r < 12. Constant offsets from one index, so C2 checks the step's first and last row only.
     */
    static void narrowColumnMajor(int kc, float[] a, int aRow0, int aStep, float[] b, int bPanel, float[] tile) {
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        FloatVector c4 = FloatVector.zero(F), c5 = FloatVector.zero(F), c6 = FloatVector.zero(F), c7 = FloatVector.zero(F);
        FloatVector c8 = FloatVector.zero(F), c9 = FloatVector.zero(F), c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        for (int bi = bPanel, ai = aRow0, end = bPanel + kc * LANES; bi < end; bi += LANES, ai += aStep) {
            FloatVector bv = FloatVector.fromArray(F, b, bi);
            c0 = FloatVector.broadcast(F, a[ai]).fma(bv, c0);
            c1 = FloatVector.broadcast(F, a[ai + 1]).fma(bv, c1);
            c2 = FloatVector.broadcast(F, a[ai + 2]).fma(bv, c2);
            c3 = FloatVector.broadcast(F, a[ai + 3]).fma(bv, c3);
            c4 = FloatVector.broadcast(F, a[ai + 4]).fma(bv, c4);
            c5 = FloatVector.broadcast(F, a[ai + 5]).fma(bv, c5);
            c6 = FloatVector.broadcast(F, a[ai + 6]).fma(bv, c6);
            c7 = FloatVector.broadcast(F, a[ai + 7]).fma(bv, c7);
            c8 = FloatVector.broadcast(F, a[ai + 8]).fma(bv, c8);
            c9 = FloatVector.broadcast(F, a[ai + 9]).fma(bv, c9);
            c10 = FloatVector.broadcast(F, a[ai + 10]).fma(bv, c10);
            c11 = FloatVector.broadcast(F, a[ai + 11]).fma(bv, c11);
        }
        c0.intoArray(tile, 0 * LANES);
        c1.intoArray(tile, 1 * LANES);
        c2.intoArray(tile, 2 * LANES);
        c3.intoArray(tile, 3 * LANES);
        c4.intoArray(tile, 4 * LANES);
        c5.intoArray(tile, 5 * LANES);
        c6.intoArray(tile, 6 * LANES);
        c7.intoArray(tile, 7 * LANES);
        c8.intoArray(tile, 8 * LANES);
        c9.intoArray(tile, 9 * LANES);
        c10.intoArray(tile, 10 * LANES);
        c11.intoArray(tile, 11 * LANES);
    }
}
