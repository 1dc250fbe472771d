package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RowGramTest {
    /**
     * C = alpha X X^T of a few long rows at awkward sizes (n around the 4 x 4 tiles, k around whole vectors and
     * segments, lenet5's 6 and 25 rows), with an offset and a leading dimension past k: the SIMD body equals its
     * scalar twin bit for bit on one and on two threads, is symmetric and within float rounding of the float64
     * product, and writes nothing outside C.
     */
    @ParameterizedTest
    @CsvSource({"1, 2048", "2, 2049", "3, 2063", "4, 2048", "5, 3071", "6, 4096", "7, 5000", "9, 2050", "12, 2055", "25, 6272", "33, 2047", "64, 2100", "150, 2111"})
    void simdBodyEqualsItsTwinOnAnyThreadsAndTheFloat64Product(int n, int k) {
        Random rnd = new Random(n * 31L + k);
        int lda = k + 3, xOff = 2, cOff = 3;
        float alpha = 0.375f;
        float[] x = KernelTestSupport.random(rnd, xOff + n * lda, -1f, 1f);
        if (k < RowGram.MIN_K) {
            assertFalse(RowGram.applies(false, n, k), "k " + k + " is left to the packed SYRK or the GEMM");
            return;
        }
        assertTrue(RowGram.applies(false, n, k), n + " rows of " + k + " are taken by RowGram");
        float[] twin = new float[cOff + n * n + 4];
        Arrays.fill(twin, Float.NaN);
        RowGram.scalar(RowGram.lanes(), n, k, alpha, x, xOff, lda, twin, cOff);
        String what = n + " x " + k;
        for (int threads : new int[] {1, 2}) {
            float[] c = new float[twin.length];
            Arrays.fill(c, Float.NaN);
            int before = Gemm.threads();
            Gemm.setThreads(threads);
            try {
                SymmetricGemm.gram(false, n, k, alpha, x, xOff, lda, c, cOff);
            } finally {
                Gemm.setThreads(before);
            }
            for (int idx = 0; idx < c.length; idx++) {
                if (idx < cOff || idx >= cOff + n * n) {
                    assertEquals(Float.NaN, c[idx], what + ": wrote outside C at " + idx);
                    continue;
                }
                int i = (idx - cOff) / n, j = (idx - cOff) % n;
                assertEquals(twin[idx], c[idx], 0f, what + ", " + threads + " thread(s): SIMD against its twin at " + i + "," + j);
                assertEquals(c[cOff + j * n + i], c[idx], 0f, what + ": not symmetric at " + i + "," + j);
                double sum = 0, size = 0;
                for (int p = 0; p < k; p++) {
                    double v = (double) x[xOff + i * lda + p] * x[xOff + j * lda + p];
                    sum += v;
                    size += Math.abs(v);
                }
                assertTrue(Math.abs(c[idx] - alpha * sum) <= (k + 2) * 0x1p-23 * alpha * size + 1e-7,
                        what + " at " + i + "," + j + ": " + c[idx] + ", float64 " + alpha * sum);
            }
        }
    }

    /** Columns (X^T X), more than MAX_N rows or a short k stay with the packed SYRK or the GEMM. */
    @Test
    void otherGramProductsAreLeftToTheSyrkOrTheGemm() {
        assertFalse(RowGram.applies(true, 6, 100_352));
        assertFalse(RowGram.applies(false, RowGram.MAX_N + 1, 100_352));
        assertFalse(RowGram.applies(false, 6, RowGram.MIN_K - 1));
    }
}
