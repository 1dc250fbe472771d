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
     * several blocks of columns (520 x 300); the result must be exactly symmetric, and C's NaN contents
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
     * The packed product, split between one and two threads (units of C claimed by blocks of columns, straddling tiles
     * storing only their upper part, each tile copied onto the lower triangle as it is stored), against its scalar
     * twin at awkward sizes: around the 12- and 32-wide panels (and 6 / 16 under AVX2), one row, a single k, two k
     * blocks, and many blocks of columns (1100 columns at k = 128). C starts as NaN:
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
}
