package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SymmetricGemmTest {
    @AfterEach
    void restoreThreads() {
        Gemm.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /**
     * X^T X (columns) and X X^T (rows) against float64 sums, at sizes around the tile (128) and its multiples
     * with a padded leading dimension and offsets; the result must be exactly symmetric, and C's NaN
     * contents must never be read.
     */
    @ParameterizedTest
    @CsvSource({"1, 3, 1", "17, 1, 2", "127, 9, 1", "128, 128, 2", "255, 5, 2", "256, 33, 1", "257, 64, 2",
            "300, 17, 2", "513, 128, 2", "785, 7, 1"})
    void gramEqualsTheFloat64Product(int n, int k, int threads) {
        Gemm.setThreads(threads);
        Random rnd = new Random(n * 31L + k);
        for (boolean columns : new boolean[] {true, false}) {
            int lda = (columns ? n : k) + 3, xOff = 5, cOff = 2;
            float[] x = KernelTestSupport.random(rnd, xOff + (columns ? k : n) * lda, -1f, 1f);
            float[] c = new float[cOff + n * n + 4];
            Arrays.fill(c, Float.NaN);
            SymmetricGemm.gram(columns, n, k, 0.5f, x, xOff, lda, c, cOff);
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
            KernelTestSupport.assertClose(expected, actual, 1e-5f, 1e-5f * k, what);
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
