package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.F;
import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * Packs a panel of a transposed B (NR rows of the stored matrix, each contiguous along k) into the
 * step-major panel layout with LANES x LANES transposes in registers: LANES row vectors in, log2(LANES) butterfly
 * stages (swap the off-diagonal 1 x 1, 2 x 2, 4 x 4 (and 8 x 8) blocks of row pairs), LANES step vectors out.
 * Scalar copies cost a load and a store per float; an 8 x 8 block is 12 permutes and 48 blends per 64 floats, a
 * 16 x 16 block 24 and 96 per 256 (its last stage through memory). For 8- and 16-lane species (AVX2, AVX-512);
 * elsewhere {@link #AVAILABLE} is false and the callers copy.
 */
final class GemmTranspose {
    private GemmTranspose() {}

    static final boolean AVAILABLE = (LANES == 8 || LANES == 16) && NR % LANES == 0 && MR <= LANES;

    // Every stage permutes and blends float lanes: SWAPb exchanges the b-lane blocks of each 2b-lane group, ODDb
    // selects their upper halves. Stage 1 at 8 lanes was 64-bit shifts and masks on LongVectors, the kind of
    // operation that JDK 17's C2 compiled as its allocating Java fallback at 16 lanes in whole programs (see
    // eightRows); on float lanes it ran as fast under -XX:UseAVX=2 (NN and NT products, one JVM, both jar orders).
    private static final VectorShuffle<Float> SWAP1 = swap(1), SWAP2 = swap(2), SWAP4 = swap(4);
    private static final VectorMask<Float> ODD1 = upperHalves(1), ODD2 = upperHalves(2), ODD4 = upperHalves(4);

    private static VectorShuffle<Float> swap(int block) {
        return AVAILABLE && block < LANES ? VectorShuffle.fromOp(F, i -> i ^ block) : null;
    }

    private static VectorMask<Float> upperHalves(int block) {
        boolean[] bits = new boolean[LANES];
        for (int i = 0; i < LANES; i++) bits[i] = (i & block) != 0;
        return AVAILABLE && block < LANES ? VectorMask.fromArray(F, bits, 0) : null;
    }

    /**
     * dst[d + p * NR + j] = b[src + j * ld + p] for j < NR and p < kc / LANES * LANES; returns the steps done
     * (the caller copies the rest). Every read stays inside the NR rows, so no bounds can be exceeded.
     */
    static int packPanel(float[] b, int src, int ld, int kc, float[] dst, int d) {
        int steps = kc / LANES * LANES;
        if (LANES == 16 && NR == 32) {
            panel16(b, src, ld, steps, dst, d);
            return steps;
        }
        for (int part = 0; part < NR; part += LANES) {
            transpose(b, src + part * ld, ld, steps, dst, d + part, NR);
        }
        return steps;
    }

    /**
     * The A side: dst[d + p * rows + r] = a[src + r * ld + p] for r < rows and p < kc / LANES * LANES, for
     * rows <= LANES. Each transpose reads LANES rows and writes LANES-float steps rows apart, so rows
     * rows..LANES-1 must be readable (the caller checks) and the last step spills LANES - rows floats past the
     * panel, where the next panel or the workspace's slack is written later.
     */
    static int packRowPanel(float[] a, int src, int ld, int kc, float[] dst, int d, int rows) {
        int steps = kc / LANES * LANES;
        transpose(a, src, ld, steps, dst, d, rows);
        return steps;
    }

    /**
     * dst[o + p * stride + r] = x[s + r * ld + p] for r < LANES and p < steps (a multiple of LANES): LANES rows in,
     * blocks transposed one after the other, each column written as LANES floats (with stride < LANES each write
     * overlaps the previous one's tail). The loops sit in transpose8 and transpose16's stages, not in the callers,
     * so the JIT keeps the shuffles and masks in registers across blocks (JDK 25: 0.29 -> 0.19 ns per float from L2).
     */
    private static void transpose(float[] x, int s, int ld, int steps, float[] dst, int o, int stride) {
        if (LANES == 16) transpose16(x, s, ld, steps, dst, o, stride);
        else transpose8(x, s, ld, steps, dst, o, stride);
    }

    /** {@link #transpose} at 8 lanes: three stages. */
    private static void transpose8(float[] x, int s, int ld, int steps, float[] dst, int o, int stride) {
        for (int p = 0; p < steps; p += 8, s += 8, o += 8 * stride) {
            FloatVector r0 = FloatVector.fromArray(F, x, s), r1 = FloatVector.fromArray(F, x, s + ld);
            FloatVector r2 = FloatVector.fromArray(F, x, s + 2 * ld), r3 = FloatVector.fromArray(F, x, s + 3 * ld);
            FloatVector r4 = FloatVector.fromArray(F, x, s + 4 * ld), r5 = FloatVector.fromArray(F, x, s + 5 * ld);
            FloatVector r6 = FloatVector.fromArray(F, x, s + 6 * ld), r7 = FloatVector.fromArray(F, x, s + 7 * ld);
            // 1 x 1 blocks between rows (0,1) (2,3) (4,5) (6,7): the even floats of a row pair, then the odd ones.
            FloatVector a0 = r0.blend(r1, ODD1), b0 = r1.blend(r0, ODD1).rearrange(SWAP1);
            FloatVector t0 = a0.blend(b0, ODD1), t1 = b0.blend(a0, ODD1);
            FloatVector a2 = r2.blend(r3, ODD1), b2 = r3.blend(r2, ODD1).rearrange(SWAP1);
            FloatVector t2 = a2.blend(b2, ODD1), t3 = b2.blend(a2, ODD1);
            FloatVector a4 = r4.blend(r5, ODD1), b4 = r5.blend(r4, ODD1).rearrange(SWAP1);
            FloatVector t4 = a4.blend(b4, ODD1), t5 = b4.blend(a4, ODD1);
            FloatVector a6 = r6.blend(r7, ODD1), b6 = r7.blend(r6, ODD1).rearrange(SWAP1);
            FloatVector t6 = a6.blend(b6, ODD1), t7 = b6.blend(a6, ODD1);
            // 2 x 2 blocks between rows (0,2) (1,3) (4,6) (5,7). Per pair one permute and four blends rather than
            // two permutes and two blends: JDK 17 checks a shuffle's indexes at every rearrange (about six
            // instructions), and a 128 x 784 A block packed in 37 rather than 52 us; JDK 25 ran as fast either way.
            FloatVector x0 = t0.blend(t2, ODD2), y0 = t2.blend(t0, ODD2).rearrange(SWAP2);
            FloatVector u0 = x0.blend(y0, ODD2), u2 = y0.blend(x0, ODD2);
            FloatVector x1 = t1.blend(t3, ODD2), y1 = t3.blend(t1, ODD2).rearrange(SWAP2);
            FloatVector u1 = x1.blend(y1, ODD2), u3 = y1.blend(x1, ODD2);
            FloatVector x4 = t4.blend(t6, ODD2), y4 = t6.blend(t4, ODD2).rearrange(SWAP2);
            FloatVector u4 = x4.blend(y4, ODD2), u6 = y4.blend(x4, ODD2);
            FloatVector x5 = t5.blend(t7, ODD2), y5 = t7.blend(t5, ODD2).rearrange(SWAP2);
            FloatVector u5 = x5.blend(y5, ODD2), u7 = y5.blend(x5, ODD2);
            // 4 x 4 blocks between rows (0,4) (1,5) (2,6) (3,7), the same way: row q now holds column q. Stored in
            // order, as each store may overlap the one before it (stride < 8).
            FloatVector v0 = u0.blend(u4, ODD4), w0 = u4.blend(u0, ODD4).rearrange(SWAP4);
            FloatVector v1 = u1.blend(u5, ODD4), w1 = u5.blend(u1, ODD4).rearrange(SWAP4);
            FloatVector v2 = u2.blend(u6, ODD4), w2 = u6.blend(u2, ODD4).rearrange(SWAP4);
            FloatVector v3 = u3.blend(u7, ODD4), w3 = u7.blend(u3, ODD4).rearrange(SWAP4);
            v0.blend(w0, ODD4).intoArray(dst, o);
            v1.blend(w1, ODD4).intoArray(dst, o + stride);
            v2.blend(w2, ODD4).intoArray(dst, o + 2 * stride);
            v3.blend(w3, ODD4).intoArray(dst, o + 3 * stride);
            w0.blend(v0, ODD4).intoArray(dst, o + 4 * stride);
            w1.blend(v1, ODD4).intoArray(dst, o + 5 * stride);
            w2.blend(v2, ODD4).intoArray(dst, o + 6 * stride);
            w3.blend(v3, ODD4).intoArray(dst, o + 7 * stride);
        }
    }

    /**
     * {@link #transpose} at 16 lanes: four stages.
     * <p>
     * The first three stages pair rows within each half (rows 0-7, rows 8-15), only the fourth pairs the halves,
     * so the work goes to three methods that meet in memory ({@link GemmWorkspace#transposeMiddle}, in L1):
     * {@link #eightRows} for each half, then {@link #halves}, which needs no permute. All four stages in one
     * method made a compilation unit at C2's inlining budget (NodeCountInliningCutoff was hit while compiling
     * it): in the full engine suite, with the profiles the other tests leave, some of its vector operations ran
     * as their Java fallbacks, and the steady-state allocation tests failed (int[] payloads from
     * Int512Vector.lanewise and rearrange, JFR allocation samples). No vector crosses a call.
     */
    private static void transpose16(float[] x, int s, int ld, int steps, float[] dst, int o, int stride) {
        GemmWorkspace workspace = GemmWorkspace.current();
        float[] middle = workspace.transposeMiddle;
        for (int p = 0; p < steps; p += MIDDLE_STEPS) {
            int n = Math.min(MIDDLE_STEPS, steps - p);
            eightRows(x, s + p, ld, n, middle, 0);
            eightRows(x, s + p + 8 * ld, ld, n, middle, 8 * 16);
            halves(middle, workspace.transposeColumns, n, dst, o + p * stride, stride);
        }
    }

    /**
     * {@link #packPanel} at 16 lanes, all NR = 32 rows of the panel at once: stages 1-3 ({@link #eightRows}) on each
     * eighth of the rows, then {@link #steps32}, which writes whole steps of the panel straight from the middle
     * buffer. The 16-row transposes before ({@link #transpose16} for each half of the panel) went through
     * {@link #halves}, whose loads of two overlapping stores wait for store forwarding to fail: a third of the
     * packing's samples, and packing this way was a quarter of a 128 x 784 x 500 NT product's (perf, Zen 5).
     * This way the product runs 1.06-1.08x (GemmAlternating, both jar orders).
     */
    private static void panel16(float[] b, int src, int ld, int steps, float[] dst, int d) {
        float[] middle = GemmWorkspace.current().transposeMiddle;
        int upper = MIDDLE_STEPS * 16;
        for (int p = 0; p < steps; p += MIDDLE_STEPS) {
            int n = Math.min(MIDDLE_STEPS, steps - p);
            eightRows(b, src + p, ld, n, middle, 0);
            eightRows(b, src + p + 8 * ld, ld, n, middle, 8 * 16);
            eightRows(b, src + p + 16 * ld, ld, n, middle, upper);
            eightRows(b, src + p + 24 * ld, ld, n, middle, upper + 8 * 16);
            steps32(middle, n, dst, d + p * NR);
        }
    }

    /**
     * Stage 4 of {@link #panel16}: with A_q, B_q, C_q, D_q vector q of rows 0-7, 8-15, 16-23 and 24-31 of a block of
     * 16 steps, step q of the block is the lanes 0-7 of A_q, B_q, C_q, D_q in turn, and step q + 8 their lanes 8-15.
     * Four overlapping stores, 8 floats apart, leave each: forwards for steps 0-7 (each store's upper lanes are
     * overwritten by the next, the last one's by the next step), backwards for steps 15 down to 8 (each store's
     * lower lanes land where the one before wrote or, for the first, in step q - 1, written after). Only step 8's
     * spill lands on a step already done, step 7's last 8 floats: copied again by hand. No store leaves the block's
     * 16 steps and no load reads a store it straddles.
     */
    private static void steps32(float[] middle, int steps, float[] dst, int o) {
        int upper = MIDDLE_STEPS * 16;
        for (int m = 0, end = steps * 16; m < end; m += 256, o += 16 * NR) {
            for (int q = 0, d = o; q < 8; q++, d += NR) {
                FloatVector.fromArray(F, middle, m + q * 16).intoArray(dst, d);
                FloatVector.fromArray(F, middle, m + 128 + q * 16).intoArray(dst, d + 8);
                FloatVector.fromArray(F, middle, upper + m + q * 16).intoArray(dst, d + 16);
                FloatVector.fromArray(F, middle, upper + m + 128 + q * 16).intoArray(dst, d + 24);
            }
            for (int q = 7, d = o + 15 * NR; q >= 0; q--, d -= NR) {
                FloatVector.fromArray(F, middle, upper + m + 128 + q * 16).intoArray(dst, d + 16);
                FloatVector.fromArray(F, middle, upper + m + q * 16).intoArray(dst, d + 8);
                FloatVector.fromArray(F, middle, m + 128 + q * 16).intoArray(dst, d);
                FloatVector.fromArray(F, middle, m + q * 16).intoArray(dst, d - 8);
            }
            for (int j = 0; j < 8; j++) dst[o + 7 * NR + 24 + j] = middle[upper + m + 128 + 7 * 16 + j];
        }
    }

    /**
     * Steps of the rows that {@link #transpose16} (16 rows: 16 x 128 floats, 8 KB) and {@link #panel16} (32 rows,
     * 16 KB) take through memory at a time.
     */
    static final int MIDDLE_STEPS = 128;

    /**
     * Stages 1-3 of {@link #transpose16} on 8 rows: for each block of 16 steps b, vector q of the half goes to
     * middle[m + b * 256 + q * 16]. The loop runs on the read index, so C2 checks the eight rows' ranges once
     * before it. Each stage is the 8-lane transpose's pattern on float lanes (one permute and four blends per row
     * pair), stage 1 too: on JDK 17 the 64-bit shifts and int-lane bitwise selects this method had before ran as
     * their allocating Java fallbacks inside C2 code in whole programs (resnet8's gradient: 159-195 MB per call;
     * JFR samples in IntVector.lanewiseTemplate, PrintIntrinsics: VectorSupport.store "missing constant", the
     * species of an IntVector whose exact class C2 had lost), while the same method alone compiled clean.
     */
    private static void eightRows(float[] x, int s, int ld, int steps, float[] middle, int m) {
        for (int end = s + steps; s < end; s += 16, m += 256) {
            FloatVector r0 = FloatVector.fromArray(F, x, s), r1 = FloatVector.fromArray(F, x, s + ld);
            FloatVector r2 = FloatVector.fromArray(F, x, s + 2 * ld), r3 = FloatVector.fromArray(F, x, s + 3 * ld);
            FloatVector r4 = FloatVector.fromArray(F, x, s + 4 * ld), r5 = FloatVector.fromArray(F, x, s + 5 * ld);
            FloatVector r6 = FloatVector.fromArray(F, x, s + 6 * ld), r7 = FloatVector.fromArray(F, x, s + 7 * ld);
            // 1 x 1 blocks between rows (0,1) (2,3) (4,5) (6,7).
            FloatVector x0 = r0.blend(r1, ODD1), y0 = r1.blend(r0, ODD1).rearrange(SWAP1);
            FloatVector t0 = x0.blend(y0, ODD1), t1 = y0.blend(x0, ODD1);
            FloatVector x2 = r2.blend(r3, ODD1), y2 = r3.blend(r2, ODD1).rearrange(SWAP1);
            FloatVector t2 = x2.blend(y2, ODD1), t3 = y2.blend(x2, ODD1);
            FloatVector x4 = r4.blend(r5, ODD1), y4 = r5.blend(r4, ODD1).rearrange(SWAP1);
            FloatVector t4 = x4.blend(y4, ODD1), t5 = y4.blend(x4, ODD1);
            FloatVector x6 = r6.blend(r7, ODD1), y6 = r7.blend(r6, ODD1).rearrange(SWAP1);
            FloatVector t6 = x6.blend(y6, ODD1), t7 = y6.blend(x6, ODD1);
            // 2 x 2 blocks between rows (0,2) (1,3) (4,6) (5,7).
            FloatVector ux0 = t0.blend(t2, ODD2), uy0 = t2.blend(t0, ODD2).rearrange(SWAP2);
            FloatVector u0 = ux0.blend(uy0, ODD2), u2 = uy0.blend(ux0, ODD2);
            FloatVector ux1 = t1.blend(t3, ODD2), uy1 = t3.blend(t1, ODD2).rearrange(SWAP2);
            FloatVector u1 = ux1.blend(uy1, ODD2), u3 = uy1.blend(ux1, ODD2);
            FloatVector ux4 = t4.blend(t6, ODD2), uy4 = t6.blend(t4, ODD2).rearrange(SWAP2);
            FloatVector u4 = ux4.blend(uy4, ODD2), u6 = uy4.blend(ux4, ODD2);
            FloatVector ux5 = t5.blend(t7, ODD2), uy5 = t7.blend(t5, ODD2).rearrange(SWAP2);
            FloatVector u5 = ux5.blend(uy5, ODD2), u7 = uy5.blend(ux5, ODD2);
            // 4 x 4 blocks between rows (0,4) (1,5) (2,6) (3,7).
            FloatVector vx0 = u0.blend(u4, ODD4), vy0 = u4.blend(u0, ODD4).rearrange(SWAP4);
            FloatVector vx1 = u1.blend(u5, ODD4), vy1 = u5.blend(u1, ODD4).rearrange(SWAP4);
            FloatVector vx2 = u2.blend(u6, ODD4), vy2 = u6.blend(u2, ODD4).rearrange(SWAP4);
            FloatVector vx3 = u3.blend(u7, ODD4), vy3 = u7.blend(u3, ODD4).rearrange(SWAP4);
            vx0.blend(vy0, ODD4).intoArray(middle, m);
            vx1.blend(vy1, ODD4).intoArray(middle, m + 16);
            vx2.blend(vy2, ODD4).intoArray(middle, m + 2 * 16);
            vx3.blend(vy3, ODD4).intoArray(middle, m + 3 * 16);
            vy0.blend(vx0, ODD4).intoArray(middle, m + 4 * 16);
            vy1.blend(vx1, ODD4).intoArray(middle, m + 5 * 16);
            vy2.blend(vx2, ODD4).intoArray(middle, m + 6 * 16);
            vy3.blend(vx3, ODD4).intoArray(middle, m + 7 * 16);
        }
    }

    /**
     * Stage 4 of {@link #transpose16}: with A_q and B_q vector q of the first and second half, column q of a
     * 16 x 16 block is [A_q lanes 0-7, B_q lanes 0-7] and column q + 8 is [A_q lanes 8-15, B_q lanes 8-15].
     * Overlapping stores put the halves together without a lane permute: A_q, then B_q eight floats on, leaves
     * column q; B_q, then A_q eight floats before, leaves column q + 8 (each column has a 32-float slot in
     * {@link GemmWorkspace#transposeColumns}, so the spills stay in its own slot). The columns then go to
     * dst[o + q * stride] in order, as each store may overlap the one before it (stride < 16). As permutes and
     * blends this stage was a C2 compilation unit at the inlining budget, in which (in the full engine suite, with
     * the profiles the other tests leave) some vector operations ran as their allocating Java fallbacks
     * (KernelAllocationTest, JFR allocation samples in Int512Vector.lanewise and rearrange); loads and stores
     * are a few nodes each.
     */
    private static void halves(float[] middle, float[] columns, int steps, float[] dst, int o, int stride) {
        for (int m = 0, end = steps * 16; m < end; m += 256, o += 16 * stride) {
            for (int q = 0; q < 8; q++) {
                FloatVector a = FloatVector.fromArray(F, middle, m + q * 16);
                FloatVector b = FloatVector.fromArray(F, middle, m + 128 + q * 16);
                int low = COLUMN_START + q * COLUMN_SLOT, high = COLUMN_START + (q + 8) * COLUMN_SLOT;
                a.intoArray(columns, low);
                b.intoArray(columns, low + 8);
                b.intoArray(columns, high);
                a.intoArray(columns, high - 8);
            }
            for (int q = 0; q < 16; q++) {
                FloatVector.fromArray(F, columns, COLUMN_START + q * COLUMN_SLOT).intoArray(dst, o + q * stride);
            }
        }
    }

    /** Each column's slot in {@link GemmWorkspace#transposeColumns}: 8 floats of spill, 16 of column, 8 of spill. */
    static final int COLUMN_SLOT = 32, COLUMN_START = 8;
}
