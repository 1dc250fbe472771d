package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SymmetricGemmTest {
    @AfterEach
    void restoreThreads() {
        Gemm.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /**
     * X^T X (columns) and X X^T (rows) against float64 sums, with a padded leading dimension and offsets, at sizes
     * around the micro-kernel's panels (6 or 12 rows, 16 or 32 columns), its edge panels and their multiples, k
     * over several blocks (a barrier between blocks on two threads; 1100 and 1500 are three blocks at 512) and
     * many units of C (520 x 300); the result must be exactly symmetric, and C's NaN contents
     * must never be read. k = 0 gives zeros.
     */
    @ParameterizedTest
    @CsvSource({"1, 3, 1", "2, 0, 1", "17, 1, 2", "4, 5, 1", "8, 9, 2", "12, 7, 1", "13, 20, 2", "31, 33, 2", "32, 3, 1",
            "33, 64, 2", "65, 129, 2", "97, 11, 1", "127, 9, 1", "128, 128, 2", "150, 1100, 2", "255, 5, 2", "256, 33, 1",
            "257, 64, 2", "300, 17, 2", "513, 128, 2", "520, 300, 2", "785, 7, 1", "785, 128, 2"})
    void gramEqualsTheFloat64Product(int n, int k, int threads) {
        Gemm.setThreads(threads);
        checkAgainstFloat64(n, k, SymmetricGemm::gram);
    }

    /** The scalar twin (what runs under -Dpanagrad.simd=false) against the same float64 sums. */
    @ParameterizedTest
    @CsvSource({"1, 3", "2, 0", "13, 20", "33, 64", "150, 70"})
    void scalarTwinEqualsTheFloat64Product(int n, int k) {
        checkAgainstFloat64(n, k, (columns, size, depth, alpha, x, xOff, lda, c, cOff) -> {
            SymmetricGemmScalar.upperTriangle(columns, size, depth, alpha, x, xOff, lda, c, cOff);
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < i; j++) c[cOff + i * size + j] = c[cOff + j * size + i];
            }
        });
    }

    /**
     * Every element of C is summed by the same micro-kernel calls whoever claims its tile: 1, 2 and 3 threads give
     * the same bits, with one k block (785 x 128, Kronecker factor A of 784-500-10) and with three (the barrier).
     */
    @ParameterizedTest
    @CsvSource({"785, 128", "200, 1500", "501, 128", "151, 8192", "13, 128", "131, 600", "1100, 128"})
    void sameBitsOnOneTwoAndThreeThreads(int n, int k) {
        Random rnd = new Random(n + 7L * k);
        for (boolean columns : new boolean[] {true, false}) {
            int lda = (columns ? n : k) + 1;
            float[] x = KernelTestSupport.random(rnd, (columns ? k : n) * lda, -1f, 1f);
            float[] one = null;
            for (int threads = 1; threads <= 3; threads++) {
                Gemm.setThreads(threads);
                float[] c = new float[n * n];
                SymmetricGemm.gram(columns, n, k, 1f / k, x, 0, lda, c, 0);
                if (one == null) one = c;
                else assertArrayEquals(one, c, (columns ? "X^T X" : "X X^T") + " n=" + n + " k=" + k + " on " + threads + " threads");
            }
        }
    }

    /**
     * The packed product, split between one and two threads (units of C, each a column panel against a run of row
     * panels, claimed from both ends; straddling tiles storing only their upper part, each tile copied onto the lower
     * triangle as it is stored), against its scalar twin at awkward sizes: around the 12- and 32-wide panels (and
     * 5 / 16 under AVX2), one row, a single k, two k blocks, and many units (1100 columns at k = 128). C starts as NaN:
     * every element must be written exactly, lower = upper bit for bit, nothing outside C touched.
     */
    @ParameterizedTest
    @CsvSource({"1, 5, 1", "1, 5, 2", "11, 1, 2", "13, 128, 1", "13, 128, 2", "31, 3, 2", "45, 128, 2", "129, 17, 1",
            "129, 17, 2", "131, 600, 2", "395, 128, 1", "395, 128, 2", "785, 128, 1", "785, 128, 2", "1100, 128, 2"})
    void packedSplitEqualsTheScalarTwin(int n, int k, int threads) {
        Gemm.setThreads(threads);
        Random rnd = new Random(n * 17L + k);
        for (boolean columns : new boolean[] {true, false}) {
            int lda = (columns ? n : k) + 2, xOff = 3, cOff = 1;
            float[] x = KernelTestSupport.random(rnd, xOff + (columns ? k : n) * lda, -1f, 1f);
            float[] c = new float[cOff + n * n + 3], twin = new float[n * n];
            Arrays.fill(c, Float.NaN);
            SymmetricGemm.gram(columns, n, k, 0.25f, x, xOff, lda, c, cOff);
            SymmetricGemmScalar.upperTriangle(columns, n, k, 0.25f, x, xOff, lda, twin, 0);
            String what = (columns ? "X^T X" : "X X^T") + " n=" + n + " k=" + k + " on " + threads + " thread(s)";
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    float got = c[cOff + i * n + j];
                    assertEquals(twin[i * n + j], got, 1e-5f * Math.max(1, k), what + " at " + i + "," + j);
                    assertEquals(got, c[cOff + j * n + i], 0f, what + " mirrored at " + j + "," + i);
                }
            }
            for (int i = 0; i < cOff; i++) assertEquals(Float.NaN, c[i], what + ": wrote before C");
            for (int i = cOff + n * n; i < c.length; i++) assertEquals(Float.NaN, c[i], what + ": wrote past C");
        }
    }

    /**
     * The upper-triangle product: on and above the diagonal the same bits as {@link SymmetricGemm#gram}'s (packed on
     * 1, 2 and 3 threads, and RowGram's few long rows), zero below it, from C full of NaN,
     * nothing outside C touched.
     */
    @ParameterizedTest
    @CsvSource({"1, 5", "13, 128", "45, 7", "129, 17", "131, 600", "395, 128", "785, 128", "1100, 128", "3, 3000"})
    void upperGramIsTheGramsUpperTriangleAndZeroBelow(int n, int k) {
        Random rnd = new Random(n * 13L + k);
        for (boolean columns : new boolean[] {true, false}) {
            int lda = (columns ? n : k) + 2, xOff = 3, cOff = 1;
            float[] x = KernelTestSupport.random(rnd, xOff + (columns ? k : n) * lda, -1f, 1f);
            float[] whole = new float[cOff + n * n];
            SymmetricGemm.gram(columns, n, k, 0.25f, x, xOff, lda, whole, cOff);
            for (int threads = 1; threads <= 3; threads++) {
                float[] c = new float[cOff + n * n + 3];
                Arrays.fill(c, Float.NaN);
                String what = (columns ? "X^T X" : "X X^T") + " n=" + n + " k=" + k;
                Gemm.setThreads(threads);
                SymmetricGemm.upperGram(columns, n, k, 0.25f, x, xOff, lda, c, cOff);
                what += " on " + threads + " thread(s)";
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        float expected = j >= i ? whole[cOff + i * n + j] : 0f;
                        assertEquals(expected, c[cOff + i * n + j], 0f, what + " at " + i + "," + j);
                    }
                }
                for (int i = 0; i < cOff; i++) assertEquals(Float.NaN, c[i], what + ": wrote before C");
                for (int i = cOff + n * n; i < c.length; i++) assertEquals(Float.NaN, c[i], what + ": wrote past C");
            }
        }
    }

    private interface Gram {
        void gram(boolean columns, int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff);
    }

    private static void checkAgainstFloat64(int n, int k, Gram gram) {
        Random rnd = new Random(n * 31L + k);
        for (boolean columns : new boolean[] {true, false}) {
            int lda = (columns ? n : k) + 3, xOff = 5, cOff = 2;
            float[] x = KernelTestSupport.random(rnd, xOff + (columns ? k : n) * lda, -1f, 1f);
            float[] c = new float[cOff + n * n + 4];
            Arrays.fill(c, Float.NaN);
            gram.gram(columns, n, k, 0.5f, x, xOff, lda, c, cOff);
            float[] expected = new float[n * n], actual = Arrays.copyOfRange(c, cOff, cOff + n * n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += (double) at(x, xOff, lda, columns, p, i) * at(x, xOff, lda, columns, p, j);
                    }
                    expected[i * n + j] = (float) (0.5 * s);
                }
            }
            String what = (columns ? "X^T X" : "X X^T") + " n=" + n + " k=" + k;
            KernelTestSupport.assertClose(expected, actual, 1e-5f, 1e-5f * Math.max(1, k), what);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < i; j++) assertEquals(actual[j * n + i], actual[i * n + j], 0f, what + " symmetric at " + i + "," + j);
            }
            for (int i = 0; i < cOff; i++) assertEquals(Float.NaN, c[i], what + ": wrote before C");
            for (int i = cOff + n * n; i < c.length; i++) assertEquals(Float.NaN, c[i], what + ": wrote past C");
        }
    }

    /** Element (p, i) of the k x n matrix X: stored as is (columns) or as its n x k transpose (rows). */
    private static float at(float[] x, int off, int lda, boolean columns, int p, int i) {
        return columns ? x[off + p * lda + i] : x[off + i * lda + p];
    }

    /**
     * PackedSyrk's units at this width's panels (the two kernel executions run it at 8 and at 16 lanes), for n
     * around and across the panels: every tile that holds an element on or above the diagonal (a row panel of
     * BlockedGemm.panelRows rows against a column panel of NR columns) in exactly one unit, no other tile in any, at
     * most UNIT_TILES per unit, listed column panel by column panel from the right, each from the top; so exactly one
     * unit per column panel holds its top row panel, the one that zeroes the panel's rows below the diagonal. One
     * job for every n, as a thread's is reused: a larger call's units must not leak into a smaller one's.
     */
    @Test
    void unitsHoldEveryUpperTileOnce() {
        int nr = GemmMicroKernel.NR;
        PackedSyrk syrk = new PackedSyrk();
        int[] sizes = java.util.stream.IntStream.concat(java.util.stream.IntStream.rangeClosed(1, 200),
                java.util.stream.IntStream.of(395, 500, 513, 785, 1100, 64, 7, 1567)).toArray();
        for (int n : sizes) {
            syrk.prepare(n, 128);
            int rowPanels = 0;
            int[] start = new int[n + 1];
            for (int ir = 0; ir < n; ir += BlockedGemm.panelRows(ir, n)) start[rowPanels++] = ir;
            int columnPanels = (n + nr - 1) / nr;
            int[][] held = new int[columnPanels][rowPanels];
            int[] tops = new int[columnPanels];
            for (int u = 0; u < syrk.units; u++) {
                int jp = syrk.unitPanel[u], first = syrk.unitFirst[u], end = syrk.unitEnd[u];
                String what = "n=" + n + " unit " + u + ": panel " + jp + " rows " + first + "-" + end;
                assertTrue(jp >= 0 && jp < columnPanels && first >= 0 && first < end && end <= rowPanels, what);
                assertTrue(end - first <= PackedSyrk.UNIT_TILES, what);
                if (u > 0) {
                    boolean next = jp == syrk.unitPanel[u - 1] ? first == syrk.unitEnd[u - 1] : jp == syrk.unitPanel[u - 1] - 1 && first == 0;
                    assertTrue(next, what + " after panel " + syrk.unitPanel[u - 1] + " rows to " + syrk.unitEnd[u - 1]);
                }
                for (int p = first; p < end; p++) held[jp][p]++;
                if (first == 0) tops[jp]++;
            }
            for (int jp = 0; jp < columnPanels; jp++) {
                int lastColumn = Math.min(n, (jp + 1) * nr) - 1;
                for (int p = 0; p < rowPanels; p++) {
                    assertEquals(start[p] <= lastColumn ? 1 : 0, held[jp][p], "n=" + n + " tile of row panel " + p + ", column panel " + jp);
                }
                assertEquals(1, tops[jp], "n=" + n + ": units holding the top of column panel " + jp);
            }
        }
    }

    /**
     * PackedSyrk's tickets as units (ClaimedChunks.chunkOf, ticket t standing for its part's next unit): on two parts,
     * wherever the caller's units from the front (0 to a - 1) stop, the helper's from the back make up the rest, every
     * unit exactly once, whatever order the tickets were drawn in; on three parts (ticket order) every unit once too.
     */
    @Test
    void ticketsGiveEveryUnitOnce() {
        Random rnd = new Random(21);
        int[] once = new int[91];
        Arrays.fill(once, 1);
        for (int units = 1; units <= 90; units++) {
            for (int a = 0; a <= units; a++) {
                for (int parts = 2; parts <= 3; parts++) {
                    // The part that draws each ticket: on two parts the caller a of them, in a random order.
                    int[] owner = new int[units];
                    for (int t = 0; t < units; t++) owner[t] = parts == 3 ? rnd.nextInt(3) : t < a ? 0 : 1;
                    for (int t = units - 1; t > 0; t--) {
                        int r = rnd.nextInt(t + 1), o = owner[t];
                        owner[t] = owner[r];
                        owner[r] = o;
                    }
                    int[] taken = new int[parts], got = new int[units];
                    for (int t = 0; t < units; t++) {
                        int u = ClaimedChunks.chunkOf(t, owner[t], parts, taken[owner[t]]++, units);
                        got[u]++;
                        if (parts == 2) assertEquals(owner[t] == 0, u < a, units + " units, the caller's " + a + ": unit " + u);
                    }
                    assertArrayEquals(Arrays.copyOf(once, units), got, units + " units on " + parts + " parts, the caller's " + taken[0]);
                }
            }
        }
    }
}
