package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GemmBatchTest {
    @AfterEach
    void restoreThreads() {
        Gemm.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /**
     * A batch of products (A shared by every entry or not, transposes, a bias and ReLU) on 1, 2 and 3 threads: each
     * entry within float rounding of a float64 product with the same epilogue, the same bits on every thread count
     * as one Gemm call after another (or, for the entries taken by row dot products, as RowDots' scalar twin), and
     * nothing written between the entries' outputs.
     */
    @ParameterizedTest
    @CsvSource({"128, 6, 25, 784", "128, 400, 120, 1", "7, 33, 17, 9", "3, 300, 200, 150", "16, 784, 500, 1", "2, 1, 1, 1"})
    void entriesSharedOutEqualOneAfterAnother(int entries, int m, int n, int k) {
        Random rnd = new Random(entries * 7L + m);
        boolean transA = (m + n) % 2 == 0, transB = k % 2 == 0;
        int lda = transA ? m : k, ldb = transB ? k : n, aSize = m * k, bSize = k * n, cStride = m * n + 3;
        float[] a = KernelTestSupport.random(rnd, entries * aSize, -1f, 1f), b = KernelTestSupport.random(rnd, bSize * entries, -1f, 1f);
        float[] bias = KernelTestSupport.random(rnd, n, -1f, 1f);
        GemmOperand[] as = new GemmOperand[entries], bs = new GemmOperand[entries], cs = new GemmOperand[entries];
        GemmEpilogue[] epilogues = new GemmEpilogue[entries];
        float[] c = new float[entries * cStride];
        for (int e = 0; e < entries; e++) {
            as[e] = new GemmOperand(a, e * aSize, lda, transA);
            bs[e] = new GemmOperand(b, e % 2 == 0 ? 0 : bSize, ldb, transB); // entries share B in pairs
            cs[e] = GemmOperand.of(c, e * cStride, n);
            epilogues[e] = new GemmEpilogue(e % 3 == 0 ? bias : null, 0, e % 2 == 1, null, 0);
        }
        Gemm.setThreads(1);
        float[] expected = new float[c.length];
        Arrays.fill(expected, Float.NaN);
        for (int e = 0; e < entries; e++) {
            // An entry with a small C and a long k is a table of dot products (RowDots), bit for bit its twin.
            GemmOperand out = GemmOperand.of(expected, e * cStride, n);
            if (RowDots.applies(m, n, k, as[e], bs[e], epilogues[e])) RowDots.scalar(RowDots.lanes(), m, n, k, as[e], bs[e], out);
            else Gemm.gemm(m, n, k, 1f, as[e], bs[e], 0f, out, epilogues[e]);
        }
        for (int threads : new int[] {1, 2, 3}) {
            Gemm.setThreads(threads);
            Arrays.fill(c, Float.NaN);
            GemmBatch.gemm(m, n, k, as, bs, cs, epilogues);
            String what = entries + " products of " + m + " x " + n + " x " + k + " on " + threads + " threads";
            for (int e = 0; e < entries; e++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double sum = 0, size = 0;
                        for (int p = 0; p < k; p++) {
                            double x = as[e].array()[as[e].offset() + (transA ? p * lda + i : i * lda + p)];
                            double y = bs[e].array()[bs[e].offset() + (transB ? j * ldb + p : p * ldb + j)];
                            sum += x * y;
                            size += Math.abs(x * y);
                        }
                        if (epilogues[e].bias() != null) sum += bias[j];
                        if (epilogues[e].relu()) sum = Math.max(sum, 0);
                        float got = c[e * cStride + i * n + j];
                        // The rounding bound of a float dot product of length k: k u |x||y| (u = 2^-24), with room.
                        if (!(Math.abs(got - sum) <= (k + 2) * 0x1p-23 * size + 1e-7)) {
                            throw new AssertionError(what + ": entry " + e + " (" + i + ", " + j + ") is " + got + ", float64 " + sum);
                        }
                    }
                }
            }
            assertArrayEquals(expected, c, what);
        }
    }

    /**
     * b, c or the epilogues shorter than a fail before any entry is computed, naming every length; on 2 threads
     * (entries shared out) a short array used to fail on a worker after other entries had been written.
     */
    @Test
    void arraysOfOtherLengthsThanAFailBeforeAnyEntryIsWritten() {
        Gemm.setThreads(2);
        int entries = 8, m = 6, n = 25, k = 784;
        Random rnd = new Random(3);
        float[] a = KernelTestSupport.random(rnd, entries * m * k, -1f, 1f), b = KernelTestSupport.random(rnd, k * n, -1f, 1f);
        float[] c = new float[entries * m * n];
        GemmOperand[] as = new GemmOperand[entries], bs = new GemmOperand[entries], cs = new GemmOperand[entries];
        GemmEpilogue[] epilogues = new GemmEpilogue[entries];
        for (int e = 0; e < entries; e++) {
            as[e] = GemmOperand.of(a, e * m * k, k);
            bs[e] = GemmOperand.of(b, 0, n);
            cs[e] = GemmOperand.of(c, e * m * n, n);
            epilogues[e] = new GemmEpilogue(null, 0, false, null, 0);
        }
        GemmOperand[] shortB = Arrays.copyOf(bs, entries - 1), shortC = Arrays.copyOf(cs, entries - 2);
        GemmEpilogue[] shortEpilogues = Arrays.copyOf(epilogues, entries - 3);
        String[] messages = {
            assertThrows(IllegalArgumentException.class, () -> GemmBatch.gemm(m, n, k, as, shortB, cs, epilogues)).getMessage(),
            assertThrows(IllegalArgumentException.class, () -> GemmBatch.gemm(m, n, k, as, bs, shortC, epilogues)).getMessage(),
            assertThrows(IllegalArgumentException.class, () -> GemmBatch.gemm(m, n, k, as, bs, cs, shortEpilogues)).getMessage()};
        assertEquals("GemmBatch.gemm: a has 8 entries but b has 7, c 8 and epilogues 8; expected 8 in each", messages[0]);
        assertEquals("GemmBatch.gemm: a has 8 entries but b has 8, c 6 and epilogues 8; expected 8 in each", messages[1]);
        assertEquals("GemmBatch.gemm: a has 8 entries but b has 8, c 8 and epilogues 5; expected 8 in each", messages[2]);
        assertArrayEquals(new float[c.length], c, "no entry written");
    }

    @Test
    void smallOrManyProductsAreSharedOutAndAFewLargeOnesSplitThemselves() {
        assertTrue(GemmBatch.byEntries(128, 2, 6 * 25 * 784));
        assertTrue(GemmBatch.byEntries(128, 2, 784 * 500));
        assertFalse(GemmBatch.byEntries(3, 2, 512L * 512 * 512));
        assertFalse(GemmBatch.byEntries(128, 1, 6 * 25 * 784));
        assertFalse(GemmBatch.byEntries(4, 2, 10), "too little work to wake a thread");
    }
}
