package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class GemmTest {
    /** The vector-kernel sizes up to 300: GEMM is cubic, the scalar reference too slow beyond. */
    static IntStream sizes() {
        return KernelTestSupport.sizes().filter(s -> s <= 300);
    }

    @AfterEach
    void restoreThreads() {
        Gemm.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /** A GEMM call with its operands laid out at an offset, with padded leading dimensions. */
    static final class Case {
        final boolean transA, transB;
        final int m, n, k, lda, ldb, ldc;
        final int aOff = 3, bOff = 5, cOff = 7, biasOff = 2;
        final float alpha, beta;
        final boolean withBias, relu;
        /** No mask, a mask of its own (laid out like C at another offset), or C itself as the mask. */
        enum Mask { NONE, SEPARATE, IN_PLACE }
        final Mask maskKind;
        final int maskOff = 4;
        final float[] a, b, c0, bias, mask;

        Case(Random rnd, boolean transA, boolean transB, int m, int n, int k, float alpha, float beta,
             boolean withBias, boolean relu) {
            this(rnd, transA, transB, m, n, k, alpha, beta, withBias, relu, Mask.NONE);
        }

        Case(Random rnd, boolean transA, boolean transB, int m, int n, int k, float alpha, float beta,
             boolean withBias, boolean relu, Mask maskKind) {
            this.maskKind = maskKind;
            this.transA = transA; this.transB = transB;
            this.m = m; this.n = n; this.k = k;
            this.alpha = alpha; this.beta = beta;
            this.withBias = withBias; this.relu = relu;
            lda = (transA ? m : k) + 3;
            ldb = (transB ? k : n) + 1;
            ldc = n + 2;
            a = KernelTestSupport.random(rnd, aOff + (transA ? k : m) * lda, -1f, 1f);
            b = KernelTestSupport.random(rnd, bOff + (transB ? n : k) * ldb, -1f, 1f);
            c0 = KernelTestSupport.random(rnd, cOff + m * ldc, -1f, 1f);
            // beta == 0 promises C is not read (but as the mask): fill it with NaN so a read would show.
            if (beta == 0f && maskKind != Mask.IN_PLACE) java.util.Arrays.fill(c0, Float.NaN);
            if (maskKind == Mask.IN_PLACE) withEdgeValues(c0, rnd);
            bias = withBias ? KernelTestSupport.random(rnd, biasOff + n, -1f, 1f) : null;
            mask = maskKind == Mask.SEPARATE ? withEdgeValues(KernelTestSupport.random(rnd, maskOff + m * ldc, -1f, 1f), rnd) : null;
        }

        /** Some exact zeros, negative zeros and NaNs among the values: a mask keeps only what is > 0. */
        private static float[] withEdgeValues(float[] values, Random rnd) {
            float[] edges = {0f, -0f, Float.NaN, Float.MIN_VALUE};
            for (int i = 0; i < values.length; i += 1 + rnd.nextInt(7)) values[i] = edges[rnd.nextInt(edges.length)];
            return values;
        }

        GemmOperand a() {
            return new GemmOperand(a, aOff, lda, transA);
        }

        GemmOperand b() {
            return new GemmOperand(b, bOff, ldb, transB);
        }

        /** The epilogue of this case writing into c (which is its own mask when IN_PLACE). */
        GemmEpilogue epilogue(float[] c) {
            return new GemmEpilogue(bias, biasOff, relu, maskKind == Mask.IN_PLACE ? c : mask,
                    maskKind == Mask.IN_PLACE ? cOff : maskOff);
        }

        /** A job configured for this case on the given number of threads, to see how it would be split. */
        GemmJob probe(int threads) {
            GemmJob job = new GemmJob();
            job.configure(m, n, k, alpha, a(), b(), beta, GemmOperand.of(c0, cOff, ldc), GemmEpilogue.NONE, threads);
            return job;
        }

        float[] runScalar() {
            float[] c = c0.clone();
            GemmScalar.gemm(m, n, k, alpha, a(), b(), beta, GemmOperand.of(c, cOff, ldc), epilogue(c));
            return c;
        }

        float[] runFast() {
            float[] c = c0.clone();
            Gemm.gemm(m, n, k, alpha, a(), b(), beta, GemmOperand.of(c, cOff, ldc), epilogue(c));
            return c;
        }

        /**
         * C as the blocked path computes a product of one k block: each element summed from zero over k in order
         * with fused multiply-adds, times alpha, then beta C (one more FMA), bias, ReLU and mask.
         */
        float[] fusedMultiplyAddsInOrder() {
            float[] c = c0.clone(), m0 = maskKind == Mask.IN_PLACE ? c0 : mask;
            int mOff = maskKind == Mask.IN_PLACE ? cOff : maskOff;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float acc = 0f;
                    for (int p = 0; p < k; p++) {
                        acc = Math.fma(transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p],
                                transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j], acc);
                    }
                    float out = alpha * acc;
                    if (beta != 0f) out = Math.fma(c0[cOff + i * ldc + j], beta, out);
                    if (withBias) out += bias[biasOff + j];
                    if (relu) out = Math.max(out, 0f);
                    if (m0 != null && !(m0[mOff + i * ldc + j] > 0f)) out = 0f;
                    c[cOff + i * ldc + j] = out;
                }
            }
            return c;
        }

        /** Compares the m x n block of C (the padding between rows must stay untouched too). */
        void assertMatchesScalar(float[] got) {
            float[] want = runScalar();
            // Operands in [-1, 1]: a dot product of length k rounds by at most ~k ulp of k.
            float tol = 2e-6f * (k + 1) * Math.max(1f, Math.abs(alpha)) + 1e-6f;
            for (int i = 0; i < want.length; i++) {
                if (Float.isNaN(want[i]) && Float.isNaN(got[i])) continue;
                if (!(Math.abs(want[i] - got[i]) <= tol)) {
                    int rel = i - cOff;
                    fail(this + ": C[" + (rel / ldc) + "][" + (rel % ldc) + "] expected " + want[i] + " got " + got[i]);
                }
            }
        }

        @Override
        public String toString() {
            return "gemm(transA=" + transA + ", transB=" + transB + ", m=" + m + ", n=" + n + ", k=" + k
                    + ", alpha=" + alpha + ", beta=" + beta + ", bias=" + withBias + ", relu=" + relu
                    + ", mask=" + maskKind + ")";
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void matchesScalarForAllTransposesAndShapesAroundSize(int s) {
        Random rnd = new Random(s);
        int[][] shapes = {{s, s, s}, {s, 17, 33}, {9, s, 65}, {33, 10, s}, {s, 10, 31}, {10, s, 7}};
        for (int[] shape : shapes) {
            for (int t = 0; t < 4; t++) {
                Case c = new Case(rnd, (t & 1) != 0, (t & 2) != 0, shape[0], shape[1], shape[2],
                        t == 3 ? -0.75f : 1.5f, t % 2 == 0 ? 0.5f : 0f, t != 1, t >= 2);
                c.assertMatchesScalar(c.runFast());
            }
        }
    }

    /**
     * Every row tail (m mod MR = 0..5, with and without full panels before it) through the packed path (n wide
     * enough to pack A), where MR_EDGE panels finish the block, for all transposes, with k past a 8-step
     * transpose block and with both beta cases.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 20, 62, 64, 128, 500})
    void everyRowTailMatchesScalar(int m) {
        Random rnd = new Random(m);
        for (int t = 0; t < 4; t++) {
            for (float beta : new float[] {0f, 1f}) {
                Case c = new Case(rnd, (t & 1) != 0, (t & 2) != 0, m, 50, 19, -0.5f, beta, beta == 0f, t == 2);
                c.assertMatchesScalar(c.runFast());
            }
        }
    }

    /**
     * A row-major B packed ({@code GemmPacking.packB}): a last partial panel of every width from one vector to a
     * column short of a panel (copied as two overlapping vectors over zeros), after none or several full panels
     * (row by row, or at k = 64, whose panels are a multiple of 4 KB apart at both widths, in blocks of rows), k in
     * and past the blocks of rows and over two k blocks; rows enough for several row blocks (so B is packed, not
     * read in place), on 1 and 2 threads, against the scalar twin.
     */
    @Test
    void rowMajorBPanelsOfEveryPartialWidthMatchScalar() {
        int lanes = GemmMicroKernel.LANES, nr = GemmMicroKernel.NR, m = 2 * BlockedGemm.MC + 5;
        Random rnd = new Random(43);
        for (int tail = lanes; tail < nr; tail++) {
            for (int full : new int[] {0, 3}) {
                int n = full * nr + tail;
                for (int k : tail == lanes + 1 ? new int[] {20, 33, 64, BlockedGemm.WHOLE_K + 7} : new int[] {20, 33, 64}) {
                    for (int threads = 1; threads <= 2; threads++) {
                        Gemm.setThreads(threads);
                        Case c = new Case(rnd, threads == 2 && k == 20, false, m, n, k, -0.5f, 1f, true, false);
                        c.assertMatchesScalar(c.runFast());
                    }
                }
            }
        }
    }

    /**
     * ReLU's backward in the epilogue: a mask of its own over several k blocks (applied once, after the last),
     * and C as its own mask, which the fast path allows while one k block sums everything
     * ({@link Gemm#writesEachOutputOnce}), the sizes around a vector and a tile, all transposes.
     */
    @ParameterizedTest
    @MethodSource("sizes")
    void maskedProductsMatchScalar(int s) {
        Random rnd = new Random(100 + s);
        int[][] shapes = {{s, s, s}, {s, 10, 31}, {17, s, 10}, {9, 40, 1030}};
        for (int[] shape : shapes) {
            for (int t = 0; t < 4; t++) {
                Case separate = new Case(rnd, (t & 1) != 0, (t & 2) != 0, shape[0], shape[1], shape[2], 1.5f,
                        t == 3 ? 0.5f : 0f, t == 2, t == 2, Case.Mask.SEPARATE);
                separate.assertMatchesScalar(separate.runFast());
                if (!Gemm.writesEachOutputOnce(shape[2])) continue;
                Case inPlace = new Case(rnd, (t & 1) != 0, (t & 2) != 0, shape[0], shape[1], shape[2], -0.75f,
                        t == 1 ? 0.5f : 0f, t == 3, false, Case.Mask.IN_PLACE);
                inPlace.assertMatchesScalar(inPlace.runFast());
            }
        }
        assertTrue(Gemm.writesEachOutputOnce(512) && !Gemm.writesEachOutputOnce(1030));
    }

    @Test
    void cCannotBeItsOwnMaskOverSeveralKBlocks() {
        float[] a = new float[4 * 1030], b = new float[1030 * 4], c = new float[16];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gemm.gemm(4, 4, 1030, 1f,
                GemmOperand.of(a, 0, 1030), GemmOperand.of(b, 0, 4), 0f, GemmOperand.of(c, 0, 4), new GemmEpilogue(null, 0, false, c, 0)));
        assertTrue(e.getMessage().contains("k = 1030"), e.getMessage());
    }

    @Property(tries = 60)
    void randomShapesMatchScalar(@ForAll @IntRange(min = 1, max = 90) int m, @ForAll @IntRange(min = 1, max = 90) int n,
                                 @ForAll @IntRange(min = 0, max = 300) int k, @ForAll boolean transA,
                                 @ForAll boolean transB, @ForAll boolean biasRelu, @ForAll @IntRange(min = 0, max = 2) int betaKind,
                                 @ForAll Case.Mask mask) {
        Random rnd = new Random(m * 31L + n * 7L + k);
        float beta = betaKind == 0 ? 0f : betaKind == 1 ? 1f : -0.3f;
        Case c = new Case(rnd, transA, transB, m, n, k, 0.8f, beta, biasRelu, biasRelu, mask);
        c.assertMatchesScalar(c.runFast());
    }

    /**
     * A transposed B whose k leaves steps past the last full register-transpose block (all of k below LANES, as
     * an output layer's 128 x 500 x 10 NT product), which the packing copies. Full panels with and without an
     * edge panel after them, and on 2 and 3 threads (which pack a shared B in units), bit for bit against one
     * thread and against the scalar twin.
     */
    @Test
    void transposedBWithFewStepsPastTheBlocks() {
        int lanes = GemmMicroKernel.LANES, nr = GemmMicroKernel.NR;
        Random rnd = new Random(17);
        for (int k : new int[] {1, 3, 10, lanes - 1, lanes + 3, 2 * lanes + 5}) {
            for (int n : new int[] {nr, 3 * nr, 3 * nr + 5, 500}) {
                for (int m : new int[] {7, 128}) {
                    Case c = new Case(rnd, false, true, m, n, k, 1f, 0f, false, false);
                    Gemm.setThreads(1);
                    float[] one = c.runFast();
                    c.assertMatchesScalar(one);
                    for (int threads : new int[] {2, 3}) {
                        Gemm.setThreads(threads);
                        assertArrayEquals(one, c.runFast(), c + ", " + threads + " threads");
                    }
                }
            }
        }
    }

    /**
     * Products with a short k (an output layer's dY W^T has k = 10; a transposed B of fewer steps than a register
     * transpose is packed step by step): widths around the panels (a vector and one more, NR and around it, a
     * partial last panel), every k up to 16, all transposes and epilogues (bias and ReLU, beta, a separate mask and
     * C as its own mask), against the scalar twin.
     */
    @Test
    void shortKProductsMatchScalar() {
        int lanes = GemmMicroKernel.LANES, nr = GemmMicroKernel.NR;
        Random rnd = new Random(23);
        for (int k = 1; k <= 16; k++) {
            for (int n : new int[] {lanes + 1, nr - 1, nr, nr + 1, 2 * nr + 3, 3 * nr + lanes}) {
                for (int t = 0; t < 4; t++) {
                    int m = new int[] {1, 5, 13, 30}[t];
                    Case.Mask mask = Case.Mask.values()[(k + t) % 3];
                    Case c = new Case(rnd, (t & 1) != 0, (t & 2) != 0, m, n, k, t == 3 ? -0.75f : 1.5f,
                            mask == Case.Mask.IN_PLACE || t % 2 == 0 ? 0f : 0.5f, t != 1, t >= 2, mask);
                    c.assertMatchesScalar(c.runFast());
                }
            }
        }
    }

    /**
     * The whole tiles that short-k products with alpha = 1, beta = 0 and at most a mask write from the kernel's
     * registers (BlockedGemm.FUSED_STORE_MAX_K), beside the edge tiles that go through the tile: every k below the
     * limit, rows and columns around whole tiles, every transpose and mask kind (C itself included).
     */
    @Test
    void shortKTilesFromRegistersMatchScalar() {
        int lanes = GemmMicroKernel.LANES, nr = GemmMicroKernel.NR, mr = GemmMicroKernel.MR;
        Random rnd = new Random(31);
        for (int k = 1; k < BlockedGemm.FUSED_STORE_MAX_K; k++) {
            for (int n : new int[] {3 * nr, 3 * nr + 3, 4 * nr + lanes}) {
                for (int t = 0; t < 4; t++) {
                    int m = new int[] {mr, 2 * mr + 1, 3 * mr + 5, 5 * mr}[t];
                    Case.Mask mask = Case.Mask.values()[(k + t) % 3];
                    Case c = new Case(rnd, (t & 1) != 0, (t & 2) != 0, m, n, k, 1f, 0f, false, false, mask);
                    c.assertMatchesScalar(c.runFast());
                }
            }
        }
    }

    /**
     * Every k block's whole tiles of such a product with step-major A panels go from the registers into C (at 16
     * lanes a row-major A is packed as rows from BlockedGemm.FUSED_STORE_MAX_K on and goes through the tile):
     * either way each element is summed from zero over k in order with FMAs (one k block: bit for bit) or matches
     * the scalar twin (two k blocks), rows and columns around whole tiles, every transpose and mask kind.
     */
    @Test
    void deepTilesFromRegistersGiveTheTilesBits() {
        int lanes = GemmMicroKernel.LANES, nr = GemmMicroKernel.NR, mr = GemmMicroKernel.MR;
        Random rnd = new Random(43);
        for (int k : new int[] {33, 128, 500, 1100}) {
            for (int t = 0; t < 4; t++) {
                int m = new int[] {mr, 2 * mr + 1, 3 * mr + 5, 5 * mr}[t], n = t % 2 == 0 ? 3 * nr : 4 * nr + lanes + 3;
                Case.Mask mask = Case.Mask.values()[(k + t) % 3];
                // C is its own mask only in one k block (Gemm refuses it past one).
                if (mask == Case.Mask.IN_PLACE && BlockedGemm.kBlocks(k) > 1) mask = Case.Mask.NONE;
                Case c = new Case(rnd, (t & 1) != 0, (t & 2) != 0, m, n, k, 1f, 0f, false, false, mask);
                float[] got = c.runFast();
                if (BlockedGemm.kBlocks(k) == 1) assertArrayEquals(c.fusedMultiplyAddsInOrder(), got, c.toString());
                c.assertMatchesScalar(got);
            }
        }
    }

    /**
     * A short-k product large enough to split over two threads (from 4M multiply-adds) gives one thread's bits,
     * for every transpose and epilogue, at k = 10 (an output layer's) and 16.
     */
    @Test
    void shortKProductsSplitBitIdentically() {
        Random rnd = new Random(29);
        for (int k : new int[] {10, 16}) {
            for (int t = 0; t < 4; t++) {
                Case.Mask mask = Case.Mask.values()[t % 3];
                // The full epilogue, and the one whose whole tiles go from the registers into C (alpha 1, beta 0).
                Case full = new Case(rnd, (t & 1) != 0, (t & 2) != 0, 240, 2003, k, 0.5f,
                        mask == Case.Mask.IN_PLACE ? 0f : -0.5f, t != 3, t == 0, mask);
                Case direct = new Case(rnd, (t & 1) != 0, (t & 2) != 0, 240, 2003, k, 1f, 0f, false, false, mask);
                for (Case c : new Case[] {full, direct}) {
                    assertEquals(2, c.probe(2).parts, c + " splits on two threads");
                    Gemm.setThreads(1);
                    float[] one = c.runFast();
                    Gemm.setThreads(2);
                    assertArrayEquals(one, c.runFast(), c + ", 2 threads");
                }
            }
        }
    }

    @Test
    void agreesWithCommonsMathInDouble() {
        Random rnd = new Random(42);
        for (int[] shape : new int[][] {{37, 53, 71}, {128, 100, 300}, {5, 200, 129}}) {
            int m = shape[0], n = shape[1], k = shape[2];
            float[] a = KernelTestSupport.random(rnd, m * k, -1f, 1f), b = KernelTestSupport.random(rnd, k * n, -1f, 1f);
            float[] c = new float[m * n];
            Gemm.gemm(m, n, k, 1f, GemmOperand.of(a, 0, k), GemmOperand.of(b, 0, n), 0f, GemmOperand.of(c, 0, n));
            RealMatrix ra = new Array2DRowRealMatrix(m, k), rb = new Array2DRowRealMatrix(k, n);
            for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) ra.setEntry(i, p, a[i * k + p]);
            for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) rb.setEntry(p, j, b[p * n + j]);
            RealMatrix exact = ra.multiply(rb);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    assertEquals(exact.getEntry(i, j), c[i * n + j], 1e-6 * k, "C[" + i + "][" + j + "] of " + m + "x" + n + "x" + k);
                }
            }
        }
    }

    @Test
    void kZeroScalesCAndAddsBias() {
        Case c = new Case(new Random(3), false, false, 5, 19, 0, 2f, 0.5f, true, true);
        c.assertMatchesScalar(c.runFast());
    }

    /**
     * A weight-gradient update as the training step issues it (C += -lr * dY^T X) with a transposed A that
     * ends exactly at the end of its array, so the vector copies of its packing must stop short of it.
     */
    @Test
    void transposedATightAgainstTheArrayEndUpdatesCInPlace() {
        Random rnd = new Random(11);
        for (int m : new int[] {6, 12, 60, 61}) {
            int n = 70, k = 33;
            float[] a = KernelTestSupport.random(rnd, k * m, -1f, 1f);
            float[] b = KernelTestSupport.random(rnd, k * n, -1f, 1f);
            float[] c = KernelTestSupport.random(rnd, m * n, -1f, 1f);
            float[] want = c.clone();
            GemmScalar.gemm(m, n, k, -0.1f, GemmOperand.transposeOf(a, 0, m), GemmOperand.of(b, 0, n), 1f,
                    GemmOperand.of(want, 0, n), GemmEpilogue.NONE);
            Gemm.gemm(m, n, k, -0.1f, GemmOperand.transposeOf(a, 0, m), GemmOperand.of(b, 0, n), 1f, GemmOperand.of(c, 0, n));
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], c[i], 1e-5f, "m=" + m + ": C[" + i / n + "][" + i % n + "]");
            }
        }
    }

    /**
     * The MLP shapes of the benchmark (the output layer's too: 640K multiply-adds), a square one, and one with
     * several blocks of rows and of k (cubic), all large enough to be split.
     */
    static final int[][] PARALLEL_SHAPES = {
            {128, 500, 784, 0, 0}, {784, 500, 128, 1, 0}, {128, 784, 500, 0, 1}, {300, 300, 300, 1, 1},
            {500, 10, 1280, 1, 0}, {2048, 10, 128, 0, 0}, {600, 96, 1100, 0, 0},
            {128, 10, 500, 0, 0}, {500, 10, 128, 1, 0}, {240, 2000, 10, 0, 1}};

    /**
     * The cubic products (row chunks over a shared B) as worked out by hand for a 48 KB L1 and 1 MB L2 (Zen 5: k
     * blocks of 512, one block up to k = 816 at 16 lanes and 512 at 8; row blocks of at most 252 and 255 rows):
     * several row blocks, and several k blocks or n >= m; 500 x 128 x 784 has two k blocks at 8 lanes only. Where
     * the caches differ (a Zen 3's 32 KB and 512 KB) the blocking does, and the rule is checked as stated, in terms
     * of the blocking.
     */
    private static boolean expectedCubic(int m, int n, int k) {
        boolean zen5Caches = CacheSizes.MACHINE.l1d() == 48 * 1024 && CacheSizes.MACHINE.l2() == 1024 * 1024;
        if (!zen5Caches) {
            return BlockedGemm.mcMax(m) < m && (BlockedGemm.kBlocks(k) > 1 || m <= n) && n <= BlockedGemm.NC
                    && BlockedGemm.packsA(n);
        }
        List<String> cubic = new ArrayList<>(List.of("300x300x300", "600x96x1100", "300x600x520", "333x90x1030",
                "300x600x264", "300x200x1600", "333x90x2100"));
        if (GemmMicroKernel.LANES == 8) cubic.add("500x128x784");
        return cubic.contains(m + "x" + n + "x" + k);
    }

    /**
     * Few rows and a row-major A (a batch of 64 against a layer's weights): at 16 lanes A and B are read in place,
     * B's last, partial panel packed alone; A's rows past the last whole panel packed alone. Row counts that end
     * on a whole panel and on 4- and 8-row edges, widths with and without a partial B panel, one and two k
     * blocks, beta and the epilogue, at 1 thread against the scalar GEMM, and bit for bit at 2 threads.
     */
    @Test
    void fewRowsReadInPlaceMatchScalar() {
        Random rnd = new Random(41);
        int[][] shapes = {{64, 128, 784}, {61, 100, 300}, {72, 40, 784}, {5, 128, 64}, {24, 70, 1030}, {13, 33, 17}};
        for (int[] s : shapes) {
            for (boolean transB : new boolean[] {false, true}) {
                Case c = new Case(rnd, false, transB, s[0], s[1], s[2], 0.75f, 0.5f, true, true, Case.Mask.SEPARATE);
                Gemm.setThreads(1);
                float[] one = c.runFast();
                c.assertMatchesScalar(one);
                Gemm.setThreads(2);
                assertArrayEquals(one, c.runFast(), c + ", 2 threads");
            }
        }
    }

    @Test
    void aShortKStaysOnOneThreadUntilItIsLarge() {
        Random rnd = new Random(8);
        Case small = new Case(rnd, false, true, 128, 500, 10, 1f, 0f, false, false);
        assertEquals(1, small.probe(2).parts, small + ": an output layer's dY W^T, 14 us on one thread");
        Case large = new Case(rnd, false, true, 240, 2000, 10, 1f, 0f, false, false);
        assertEquals(2, large.probe(2).parts, large.toString());
    }

    @Test
    void twoThreadsGiveBitIdenticalResultsToOne() {
        Random rnd = new Random(7);
        for (int[] s : PARALLEL_SHAPES) {
            Case c = new Case(rnd, s[3] == 1, s[4] == 1, s[0], s[1], s[2], 1.25f, 0.5f, true, true);
            GemmJob probe = c.probe(2);
            assertEquals(2, probe.parts, c + " should be split over two threads");
            // The MLP's layer-1 products, the k = 10 one, the cubic one and the square one (several row blocks, one
            // k block) are shared out in claimed chunks; the n = 10 one with k over a block keeps its bands.
            boolean cubic = GemmJob.cubic(s[0], s[1], s[2], 2);
            assertEquals(expectedCubic(s[0], s[1], s[2]), cubic, c + " cubic (blocking " + BlockedGemm.BLOCKING + ")");
            // A narrow C (at most one vector wide: the n = 10 products at 16 lanes; at 8 lanes the one with A
            // transposed, by tiles of C's transpose) goes to NarrowGemm's row chunks.
            boolean narrow = s[1] <= GemmMicroKernel.LANES || s[3] == 1 && s[1] <= NarrowGemm.TRANSPOSED_MAX_N;
            assertEquals(narrow, probe.narrow, c + " narrow");
            // At 8 lanes the other n = 10 products with one k block read A in place in row chunks, each part
            // packing all of B.
            boolean ownB = !narrow && s[1] == 10 && BlockedGemm.kBlocks(s[2]) == 1;
            assertEquals(s[0] <= 784 && s[1] >= 500 || cubic || narrow || ownB, probe.dynamic, c + " chunks");
            if (cubic) assertTrue(probe.splitRows && probe.shared, c + " rows over a shared B");
            Gemm.setThreads(1);
            float[] one = c.runFast();
            Gemm.setThreads(2);
            float[] two = c.runFast();
            assertArrayEquals(one, two, c.toString());
            if (s[0] * s[1] * s[2] <= 300 * 300 * 300) c.assertMatchesScalar(two);
        }
    }

    /** Below {@link GemmJob#PARALLEL_MIN_MACS} a product stays on the calling thread, at or above it splits. */
    @Test
    void onlyProductsOfAtLeastTheThresholdSplit() {
        long threshold = GemmJob.PARALLEL_MIN_MACS;
        int k = 128, n = 10;
        int below = (int) ((threshold - 1) / ((long) n * k)), atLeast = (int) ((threshold + n * k - 1) / ((long) n * k));
        for (int m : new int[] {below, atLeast}) {
            float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
            GemmJob probe = new GemmJob();
            probe.configure(m, n, k, 1f, GemmOperand.of(a, 0, k), GemmOperand.of(b, 0, n), 0f, GemmOperand.of(c, 0, n),
                    GemmEpilogue.NONE, 2);
            assertEquals((long) m * n * k >= threshold ? 2 : 1, probe.parts, m + " x " + n + " x " + k);
        }
    }

    /**
     * A row-major A packed as rows ({@link BlockedGemm#rowsOfA}, 16 lanes; step-major panels at 8): every row tail
     * (full 12-row panels, then 8- and 4-row panels, rows past m zero), B packed, read in place or transposed, k of
     * one block from 32 to the deepest (784: the input layer's forward) with alpha, beta, bias, ReLU and a mask,
     * bit for bit the sums in order; k over several blocks against the scalar twin; two and three threads (column
     * chunks packing A together, and row chunks) bit for bit against one.
     */
    @Test
    void rowMajorAPackedAsRowsGivesTheInOrderSums() {
        int wholeK = BlockedGemm.WHOLE_K;
        int[][] shapes = { // m, n, k, transB
                {128, 500, 784, 0}, {128, 500, 784, 1}, {61, 200, 32, 0}, {13, 170, 300, 1}, {140, 333, 97, 0},
                {126, 160, 33, 1}, {4, 200, wholeK, 0}, {30, 640, 129, 0}, {128, 500, wholeK + 5, 0}, {75, 300, 1030, 1},
                {128, 784, 500, 1}}; // the last: a layer-1 input gradient dY W
        Random rnd = new Random(57);
        for (int i = 0; i < shapes.length; i++) {
            int[] s = shapes[i];
            Case.Mask mask = Case.Mask.values()[i % 3];
            if (mask == Case.Mask.IN_PLACE && !Gemm.writesEachOutputOnce(s[2])) mask = Case.Mask.SEPARATE;
            Case c = new Case(rnd, false, s[3] == 1, s[0], s[1], s[2], i % 2 == 0 ? 1f : -0.75f,
                    mask == Case.Mask.IN_PLACE ? 0f : i % 4 < 2 ? 0.5f : 0f, i % 2 == 0, i % 4 != 1, mask);
            Gemm.setThreads(1);
            float[] one = c.runFast();
            if (BlockedGemm.kBlocks(s[2]) == 1) assertArrayEquals(c.fusedMultiplyAddsInOrder(), one, c.toString());
            else c.assertMatchesScalar(one);
            for (int threads : new int[] {2, 3}) {
                Gemm.setThreads(threads);
                assertArrayEquals(one, c.runFast(), c + ", " + threads + " threads");
            }
        }
    }

    /**
     * Products whose parts pack the operand they all read together ({@link SharedPanels}): column bands or
     * chunks sharing a row-major or transposed A, with row tails of 1, 2, 4 and 5 rows that end a part's
     * panels on an edge panel, k a multiple of 8 (the transposes' last step would spill into the next part's
     * panel) or several k blocks, several row blocks (300 x 4200 x 100: wider than a block of B, so not
     * cubic); row chunks sharing B over several blocks of rows and of k or over one k block at n >= m (the cubic
     * products, row-major, transposed, with edge panels, uneven k blocks) or over one block of rows (a transposed B); row bands sharing a transposed B with fewer B panels than
     * threads. The chunks pack two k blocks at a time: k of 3 and 4 blocks repack one and both buffers, 5
     * blocks make three groups. With and without a mask, C being its own mask where k allows. Two and three
     * threads, bit for bit against one; with them, row chunks that each pack their own B (784 x 500 x 128 TN).
     */
    @Test
    void partsThatPackTogetherGiveBitIdenticalResultsToOne() {
        int[][] shapes = { // m, n, k, transA, transB
                {64, 128, 784, 0, 0}, {61, 200, 264, 0, 0}, {130, 400, 1030, 0, 1}, {100, 300, 264, 1, 0},
                {67, 250, 264, 1, 1}, {300, 600, 520, 0, 0}, {500, 128, 784, 0, 1}, {333, 90, 1030, 1, 1},
                {300, 600, 264, 0, 0}, {600, 17, 520, 0, 1}, {300, 200, 1600, 0, 0}, {333, 90, 2100, 1, 1},
                {130, 400, 2048, 1, 0}, {134, 400, 1030, 1, 1}, {125, 400, 2048, 1, 0}, {128, 40, 1500, 0, 1},
                {784, 100, 500, 0, 1}, {300, 4200, 100, 0, 0}, {784, 500, 128, 1, 0}};
        Random rnd = new Random(21);
        for (int threads : new int[] {2, 3}) {
            int sharedCount = 0;
            for (int i = 0; i < shapes.length; i++) {
                int[] s = shapes[i];
                Case.Mask mask = i % 3 == 0 ? Case.Mask.NONE
                        : i % 3 == 1 || !Gemm.writesEachOutputOnce(s[2]) ? Case.Mask.SEPARATE : Case.Mask.IN_PLACE;
                Case c = new Case(rnd, s[3] == 1, s[4] == 1, s[0], s[1], s[2], 0.75f, mask == Case.Mask.IN_PLACE ? 0f : 0.5f,
                        true, s[0] % 2 == 1, mask);
                GemmJob probe = c.probe(threads);
                assertEquals(threads, probe.parts, c + " should be split " + threads + " ways");
                boolean cubic = GemmJob.cubic(s[0], s[1], s[2], threads);
                // Row bands share B when it goes through register transposes or the product is cubic; column
                // bands share A when even the narrowest band has enough B panels to pack A, which depends on
                // the panel width: 128 columns are 8 panels at 8 lanes, 4 at 16.
                int colTiles = (s[1] + GemmMicroKernel.NR - 1) / GemmMicroKernel.NR;
                boolean ownB = probe.splitRows && !BlockedGemm.packsA(s[1]) && BlockedGemm.kBlocks(s[2]) == 1;
                boolean shares = !probe.narrow && (probe.splitRows ? cubic || c.transB && !ownB
                        : BlockedGemm.packsA(colTiles / threads * GemmMicroKernel.NR));
                assertEquals(shares, probe.shared, c + " shared, " + threads + " threads");
                if (probe.shared) sharedCount++;
                assertEquals(expectedCubic(s[0], s[1], s[2]), cubic, c + " cubic (blocking " + BlockedGemm.BLOCKING + ")");
                if (cubic) assertTrue(probe.dynamic && probe.splitRows, c + " row chunks");
                // Several row blocks and wider than a block of B: column bands, each over every row block.
                if (s[1] > BlockedGemm.NC) {
                    assertTrue(BlockedGemm.mcMax(s[0]) < s[0] && !probe.dynamic && !probe.splitRows,
                            c + " column bands over several row blocks");
                }
                if (i == shapes.length - 1) assertTrue(probe.dynamic && probe.splitRows && !probe.shared, c + " own B");
                Gemm.setThreads(1);
                float[] one = c.runFast();
                Gemm.setThreads(threads);
                assertArrayEquals(one, c.runFast(), c + ", " + threads + " threads");
            }
            // Most shapes exercise the shared packing at every width: 18 and 17 of 19 (2 and 3 threads) at 8 lanes, 16 and 14
            // at 16 (600 x 17 x 520 NT packs its own B: one k block at 16 lanes).
            assertTrue(sharedCount >= shapes.length - 5, sharedCount + " shared, " + threads + " threads");
        }
    }

    /**
     * Row chunks that read A in place, each part packing all of a B at most two panels wide (one k block; a
     * ViT's dY W^T, 2176 x 64 x 128 NT), with A row-major or transposed and row tails; and claimed chunks whose
     * group holds every k block (a weight gradient, 64 x 192 x 2176 TN: five blocks of A shared, no barrier),
     * or two of them where the blocks outgrow {@link SharedPanels#GROUP_FLOATS} (a cubic B of five blocks: three
     * groups). Two and three
     * threads, bit for bit against one, and against the scalar twin up to 64M multiply-adds.
     */
    @Test
    void rowChunksOverAOwnBAndGroupsOfEveryKBlockGiveOneThreadsBits() {
        int[][] shapes = { // m, n, k, transA, transB
                {2176, 64, 128, 0, 1}, {2176, 64, 64, 0, 1}, {701, 50, 300, 1, 0}, {1001, 40, 200, 0, 0}, {1001, 20, 200, 1, 1},
                {64, 192, 2176, 1, 0}, {128, 192, 2176, 1, 0}, {600, 1024, 2100, 0, 0}};
        Random rnd = new Random(23);
        for (int i = 0; i < shapes.length; i++) {
            int[] s = shapes[i];
            Case c = new Case(rnd, s[3] == 1, s[4] == 1, s[0], s[1], s[2], i % 2 == 0 ? 1f : -0.5f, i % 3 == 0 ? 0f : 0.5f,
                    i % 2 == 0, i % 3 == 1);
            Gemm.setThreads(1);
            float[] one = c.runFast();
            if ((long) s[0] * s[1] * s[2] <= 1L << 26) c.assertMatchesScalar(one);
            for (int threads : new int[] {2, 3}) {
                GemmJob probe = c.probe(threads);
                assertEquals(threads, probe.parts, c + " should be split " + threads + " ways");
                int kBlocks = BlockedGemm.kBlocks(s[2]);
                if (i < 5 && !probe.narrow && !BlockedGemm.packsA(s[1])) { // 64 columns pack A at 8 lanes (4 panels)
                    assertTrue(probe.dynamic && probe.splitRows && !probe.shared, c + " rows, A in place, own B, " + threads + " threads");
                }
                // On three threads 64 x 192 TN's bands are two B panels wide, too few to pack A for: column bands.
                if (threads == 2 && i >= 5) assertTrue(probe.dynamic && probe.shared, c + " shared chunks");
                if (threads == 2 && (i == 5 || i == 6)) {
                    assertEquals(kBlocks, probe.groupBlocks, c + " one group of " + kBlocks + " k blocks");
                }
                if (i == 7) assertTrue(kBlocks > 2 && probe.groupBlocks == 2, c + " groups of two of " + kBlocks + " k blocks");
                Gemm.setThreads(threads);
                assertArrayEquals(one, c.runFast(), c + ", " + threads + " threads");
            }
        }
    }

    /**
     * NarrowGemm's tiles of C's transpose (A transposed, at least NR rows, more than {@link NarrowGemm#SMALL_MACS})
     * at every width up to a vector (at 8 lanes up to 10 columns: 5-row panels), so every B panel height (12, 10
     * for 9 or 10 columns at 16 lanes, 8, 5, 4) meets a short and a long k, rows that leave an edge tile, and each
     * epilogue; the same shapes with fewer rows, small products, take the one-vector rows instead.
     */
    @Test
    void transposedNarrowTilesMatchScalarAtEveryWidth() {
        int nr = GemmMicroKernel.NR;
        Random rnd = new Random(37);
        for (int n = 1; n <= NarrowGemm.TRANSPOSED_MAX_N; n++) {
            for (int k : new int[] {1, 7, 130}) {
                int large = (int) (NarrowGemm.SMALL_MACS / ((long) n * k)) / nr * nr + nr;
                for (int t = 0; t < 6; t++) {
                    int m = (t % 2 == 0 ? nr : 3 * nr + 5) + (t < 4 ? large : 0);
                    Case.Mask mask = Case.Mask.values()[(n + t) % 3];
                    Case c = new Case(rnd, true, t % 4 >= 2, m, n, k, t == 3 ? 1f : -0.75f,
                            mask == Case.Mask.IN_PLACE || t == 3 ? 0f : 0.5f, t == 1, t == 2, mask);
                    boolean small = NarrowGemm.small(m, n, k);
                    assertTrue(t >= 4 || !small, c + " is not small");
                    assertEquals(!small, NarrowGemm.transposedTiles(c.probe(1)), c + " takes transposed tiles");
                    c.assertMatchesScalar(c.runFast());
                }
            }
        }
    }

    /**
     * Small products of any width ({@link NarrowGemm#small}) run on NarrowGemm's one-vector rows, one B panel per
     * vector of columns, with the bits of the blocked path: every element summed from zero over k in order with
     * FMAs, then alpha, beta, bias, ReLU and mask as {@link GemmStore} applies them (resnet8's fully connected
     * products, fewer rows than the kernel's, a last vector of columns that is partly past n, every transpose).
     */
    @Test
    void smallProductsOfAnyWidthRunOnOneVectorRowsWithTheBlockedBits() {
        int lanes = GemmMicroKernel.LANES;
        int[][] shapes = {{128, 10, 64}, {128, 64, 10}, {10, 64, 128}, {64, 10, 128}, {4, 64, 10}, {5, 3 * lanes + 3, 40},
                {37, 2 * lanes, 1}, {1, 700, 7}};
        Random rnd = new Random(41);
        for (int[] s : shapes) {
            for (int t = 0; t < 8; t++) {
                Case.Mask mask = Case.Mask.values()[t % 3];
                float beta = mask == Case.Mask.IN_PLACE ? 0f : t % 2 == 0 ? 0.5f : 0f;
                Case c = new Case(rnd, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], t >= 4 ? 1f : -0.75f, beta,
                        t % 3 == 1, t % 4 == 3, mask);
                assertTrue(NarrowGemm.small(s[0], s[1], s[2]) && c.probe(1).narrow, c + " runs on NarrowGemm");
                assertArrayEquals(c.fusedMultiplyAddsInOrder(), c.runFast(), c.toString());
            }
        }
    }

    /**
     * Products at most one vector wide (NarrowGemm: an output layer's n = 10 at 16 lanes, 8 at 8; n = 1 and a
     * full vector), all transposes, row counts that leave an edge panel, a mask of their own or in C, k past a
     * block: on 2 and 3 threads, bit for bit against one, and against the scalar twin.
     */
    @Test
    void narrowProductsSplitBitIdenticallyAndMatchScalar() {
        int lanes = GemmMicroKernel.LANES, ten = Math.min(10, lanes);
        int[][] shapes = {{500, ten, 128}, {128, ten, 500}, {301, 1, 900}, {245, lanes, 600}, {1000, lanes - 1, 70}};
        Random rnd = new Random(31);
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                Case.Mask mask = t == 1 ? Case.Mask.SEPARATE : t == 2 && Gemm.writesEachOutputOnce(s[2]) ? Case.Mask.IN_PLACE : Case.Mask.NONE;
                Case c = new Case(rnd, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 0.5f, mask == Case.Mask.IN_PLACE ? 0f : -0.5f,
                        t != 3, t == 0, mask);
                assertTrue(c.probe(2).narrow, c + " narrow");
                Gemm.setThreads(1);
                float[] one = c.runFast();
                c.assertMatchesScalar(one);
                for (int threads : new int[] {2, 3}) {
                    Gemm.setThreads(threads);
                    assertArrayEquals(one, c.runFast(), c + ", " + threads + " threads");
                }
            }
        }
    }

    /**
     * B given by row starts (a convolution's patch rows in a padded image, {@link Gemm#gemmRows}): rows out of
     * order and overlapping, widths from one column through one vector (which would be NarrowGemm's, and it reads
     * B only through strides) to several panels, on 1-3 threads, against the scalar twin.
     */
    @Test
    void rowsOfBAnywhereMatchScalarAtEveryWidth() {
        int lanes = GemmMicroKernel.LANES;
        Random rnd = new Random(41);
        for (int n : new int[] {1, 3, Math.min(10, lanes), lanes, lanes + 1, 2 * lanes + 3, 97}) {
            for (int[] mk : new int[][] {{7, 5}, {130, 40}, {300, 600}}) {
                int m = mk[0], k = mk[1], lda = k + 2, ldc = n + 3;
                float[] a = new float[m * lda], b = new float[k * 3 + n + 11], c0 = new float[m * ldc + 2];
                for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat() - 0.5f;
                for (int i = 0; i < b.length; i++) b[i] = rnd.nextFloat() - 0.5f;
                for (int i = 0; i < c0.length; i++) c0[i] = rnd.nextFloat() - 0.5f;
                int[] rows = new int[k];
                for (int p = 0; p < k; p++) rows[p] = rnd.nextInt(b.length - n + 1);
                float[] want = c0.clone();
                GemmScalar.gemmRows(m, n, k, 0.75f, a, 1, lda, b, rows, -0.5f, want, 2, ldc);
                for (int threads = 1; threads <= 3; threads++) {
                    Gemm.setThreads(threads);
                    float[] got = c0.clone();
                    Gemm.gemmRows(m, n, k, 0.75f, a, 1, lda, b, rows, -0.5f, got, 2, ldc);
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(want[i], got[i], 1e-5f * (1 + k), m + "x" + n + "x" + k + " on " + threads + " threads at " + i);
                    }
                }
            }
        }
    }

    /**
     * How long a failing product may take before its parts count as stranded: a guard against a hang, not a speed
     * bound. The product (62 MFLOP) may run before C2 has compiled its kernels, as heap vectors in C1 code, many
     * times slower; 120 s leaves room for that on a machine 10x slower than this one, where 20 s might not.
     */
    private static final java.time.Duration STRANDED = java.time.Duration.ofSeconds(120);

    /** A part that fails releases the parts waiting for it at a barrier, and the pool works on afterwards. */
    @Test
    void aFailingPartDoesNotStrandTheOthers() {
        Gemm.setThreads(2);
        int m = 300, n = 100, k = 1030; // row chunks over a shared transposed B of three k blocks (two groups)
        Random rnd = new Random(5);
        float[] a = KernelTestSupport.random(rnd, m * k, -1f, 1f), b = KernelTestSupport.random(rnd, n * k, -1f, 1f);
        float[] tooShort = new float[m * n - 1]; // only the last chunk of rows, on either thread, runs past it
        Throwable thrown = assertTimeoutPreemptively(STRANDED, () -> assertThrows(RuntimeException.class,
                () -> Gemm.gemm(m, n, k, 1f, GemmOperand.of(a, 0, k), GemmOperand.transposeOf(b, 0, k), 0f, GemmOperand.of(tooShort, 0, n))));
        // The part that ran past C is reported, not the part that stopped waiting for it.
        Throwable root = thrown instanceof ArrayIndexOutOfBoundsException ? thrown : thrown.getCause();
        assertTrue(root instanceof ArrayIndexOutOfBoundsException, "reported: " + thrown + ", cause " + thrown.getCause());
        Case c = new Case(new Random(6), false, true, m, n, k, 1f, 0f, false, false);
        c.assertMatchesScalar(c.runFast());
    }

    /**
     * A part that fails while packing its unit of the shared B releases the part waiting for that packing
     * (B one float short: only the last unit of the third k block reads past it).
     */
    @Test
    void aPartFailingInThePackingDoesNotStrandTheOthers() {
        Gemm.setThreads(2);
        int m = 300, n = 100, k = 1030;
        Random rnd = new Random(8);
        float[] a = KernelTestSupport.random(rnd, m * k, -1f, 1f), b = KernelTestSupport.random(rnd, n * k - 1, -1f, 1f);
        GemmOperand ao = GemmOperand.of(a, 0, k), bo = GemmOperand.transposeOf(b, 0, k);
        GemmJob probe = new GemmJob();
        probe.configure(m, n, k, 1f, ao, bo, 0f, GemmOperand.of(new float[m * n], 0, n), GemmEpilogue.NONE, 2);
        assertTrue(probe.dynamic && probe.shared && probe.splitRows, "row chunks over a shared B");
        Throwable thrown = assertTimeoutPreemptively(STRANDED, () -> assertThrows(RuntimeException.class,
                () -> Gemm.gemm(m, n, k, 1f, ao, bo, 0f, GemmOperand.of(new float[m * n], 0, n))));
        Throwable root = thrown instanceof ArrayIndexOutOfBoundsException ? thrown : thrown.getCause();
        assertTrue(root instanceof ArrayIndexOutOfBoundsException, "reported: " + thrown + ", cause " + thrown.getCause());
        Case c = new Case(new Random(9), false, true, m, n, k, 1f, 0f, false, false);
        c.assertMatchesScalar(c.runFast());
    }

    @Test
    void callsFromDifferentThreadsOneAfterAnother() throws Exception {
        Gemm.setThreads(2);
        Case c = new Case(new Random(11), false, true, 200, 150, 170, 1f, 0f, true, false);
        float[] here = c.runFast();
        float[][] there = new float[3][];
        for (int t = 0; t < 3; t++) {
            int slot = t;
            Thread thread = new Thread(() -> there[slot] = c.runFast());
            thread.start();
            thread.join();
        }
        for (float[] r : there) assertArrayEquals(here, r);
        c.assertMatchesScalar(here);
    }

    @Test
    void concurrentCallersEachGetTheirOwnResult() throws Exception {
        Gemm.setThreads(2);
        Case[] cases = new Case[4];
        float[][] results = new float[4][];
        Thread[] threads = new Thread[4];
        for (int t = 0; t < 4; t++) {
            cases[t] = new Case(new Random(100 + t), t % 2 == 0, t >= 2, 150 + t, 160, 170, 1f, 0.5f, true, true);
            int slot = t;
            threads[t] = new Thread(() -> {
                for (int rep = 0; rep < 5; rep++) results[slot] = cases[slot].runFast();
            });
        }
        for (Thread t : threads) t.start();
        for (Thread t : threads) t.join();
        for (int t = 0; t < 4; t++) cases[t].assertMatchesScalar(results[t]);
    }

    @Test
    void workerPoolRunsEveryPartOnce() {
        WorkerPool pool = new WorkerPool(3);
        try {
            int[] hits = new int[3];
            for (int round = 0; round < 100; round++) {
                assertTrue(pool.tryRun((part, parts) -> hits[part]++, 3));
            }
            assertArrayEquals(new int[] {100, 100, 100}, hits);
            assertEquals(3, pool.threads());
        } finally {
            pool.close();
        }
    }
}
