package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RowDotsTest {
    /**
     * C = A B^T by row dot products at awkward sizes (rows of B around the four-row blocks, k around whole vectors
     * of 8 and 16 lanes, the per-sample shape 6 x 25 x 784), with offsets and leading dimensions past k: the SIMD
     * body equals its scalar twin bit for bit, is within float rounding of the float64 product, and writes nothing
     * outside C.
     */
    @ParameterizedTest
    @CsvSource({"1, 1, 256", "1, 3, 257", "2, 4, 271", "3, 5, 300", "5, 7, 263", "6, 25, 784", "4, 9, 1000", "32, 32, 512"})
    void simdBodyEqualsItsTwinAndTheFloat64Product(int m, int n, int k) {
        Random rnd = new Random(m * 31L + n * 7L + k);
        int lda = k + 3, ldb = k + 5, ldc = n + 2, aOff = 2, bOff = 1, cOff = 3;
        float[] a = KernelTestSupport.random(rnd, aOff + m * lda, -1f, 1f), b = KernelTestSupport.random(rnd, bOff + n * ldb, -1f, 1f);
        GemmOperand x = GemmOperand.of(a, aOff, lda), y = GemmOperand.transposeOf(b, bOff, ldb);
        assertTrue(RowDots.applies(m, n, k, x, y, GemmEpilogue.NONE), "taken by row dot products");
        float[] c = new float[cOff + m * ldc + 4], twin = new float[c.length];
        Arrays.fill(c, Float.NaN);
        Arrays.fill(twin, Float.NaN);
        RowDots.multiply(m, n, k, x, y, GemmOperand.of(c, cOff, ldc));
        RowDots.scalar(RowDots.lanes(), m, n, k, x, y, GemmOperand.of(twin, cOff, ldc));
        String what = m + " x " + n + " x " + k;
        for (int idx = 0; idx < c.length; idx++) {
            int i = (idx - cOff) / ldc, j = (idx - cOff) % ldc;
            boolean inside = idx >= cOff && i < m && j < n;
            if (!inside) {
                assertEquals(Float.NaN, c[idx], what + ": wrote outside C at " + idx);
                continue;
            }
            assertEquals(twin[idx], c[idx], 0f, what + ": SIMD against its twin at " + i + "," + j);
            double sum = 0, size = 0;
            for (int p = 0; p < k; p++) {
                double v = (double) a[aOff + i * lda + p] * b[bOff + j * ldb + p];
                sum += v;
                size += Math.abs(v);
            }
            assertTrue(Math.abs(c[idx] - sum) <= (k + 2) * 0x1p-23 * size + 1e-7, what + " at " + i + "," + j + ": " + c[idx] + ", float64 " + sum);
        }
    }

    /** A short k, a large C, a transposed A, an untransposed B or anything fused stays with the packed GEMM. */
    @ParameterizedTest
    @CsvSource({"6, 25, 255", "33, 32, 784"})
    void otherProductsAreLeftToTheGemm(int m, int n, int k) {
        float[] a = new float[m * k], b = new float[n * k];
        assertFalse(RowDots.applies(m, n, k, GemmOperand.of(a, 0, k), GemmOperand.transposeOf(b, 0, k), GemmEpilogue.NONE));
        assertFalse(RowDots.applies(6, 25, 784, GemmOperand.transposeOf(a, 0, 6), GemmOperand.transposeOf(b, 0, 784), GemmEpilogue.NONE));
        assertFalse(RowDots.applies(6, 25, 784, GemmOperand.of(a, 0, 784), GemmOperand.of(b, 0, 25), GemmEpilogue.NONE));
        assertFalse(RowDots.applies(6, 25, 784, GemmOperand.of(a, 0, 784), GemmOperand.transposeOf(b, 0, 784),
                new GemmEpilogue(null, 0, true, null, 0)));
    }
}
