package org.panagrad.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

/**
 * The fused attention's SIMD body against its scalar twin and a float64 softmax over whole rows, at sizes around
 * the vector width and the key block (1 to 256 keys and queries), odd head dims (1 to 256), and every kind of mask;
 * the forward by blocks of query rows (the worker pool's units) gives the same bits as by whole entries.
 */
class AttentionTest {
    @Test
    void entriesPastThePackedLengthStreamOverKeyBlocks() {
        AttentionDims packed = new AttentionDims(1, 128, AttentionBackwardSimd.PACKED_MAX_KEYS, 32, 32, 0.2f, false);
        AttentionDims streamed = new AttentionDims(1, 128, AttentionBackwardSimd.PACKED_MAX_KEYS + 40, 32, 32, 0.2f, false);
        assertTrue(AttentionBackwardSimd.usesPackedGemm(packed), packed.toString());
        assertFalse(AttentionBackwardSimd.usesPackedGemm(streamed), streamed.toString());
        // The streamed forward's scores do not grow with the keys: its workspace is the keys transposed plus a block.
        assertTrue(streamed.workspace() < 2 * streamed.tk() * streamed.d(), "workspace " + streamed.workspace());
        Random rnd = new Random(11);
        int tq = streamed.tq(), tk = streamed.tk(), d = streamed.d();
        float[] q = random(rnd, tq * d, -2f, 2f), k = random(rnd, tk * d, -2f, 2f), v = random(rnd, tk * d, -1f, 1f);
        float[] want = new float[tq * d], got = new float[tq * d], work = new float[streamed.workspace()];
        AttentionScalar.forward(streamed, null, q, 0, k, 0, v, 0, want, 0, work, 0, 1, 0, tq);
        AttentionSimd.forward(streamed, null, q, 0, k, 0, v, 0, got, 0, work, 0, 1, 0, tq);
        assertClose(want, got, 2e-5f, 2e-6f, "attention over " + tk + " keys");
    }

    @ParameterizedTest
    @MethodSource("org.panagrad.kernels.AttentionCases#shapes")
    void simdMatchesScalarAndDouble(int batch, int tq, int tk, int d, int dv) {
        Random rnd = new Random(tq * 31 + tk);
        int off = 3;
        float[] q = random(rnd, off + batch * tq * d, -2f, 2f), k = random(rnd, off + batch * tk * d, -2f, 2f);
        float[] v = random(rnd, off + batch * tk * dv, -1f, 1f);
        AttentionMaskLayout[] masks = AttentionCases.masks(rnd, batch, tq, tk);
        for (AttentionMaskLayout mask : masks) {
            for (boolean causal : new boolean[] {false, true}) {
                AttentionDims a = new AttentionDims(batch, tq, tk, d, dv, 1f / (float) Math.sqrt(d), causal);
                float[] want = new float[off + batch * tq * dv], got = new float[want.length];
                float[] work = new float[a.workspace()];
                AttentionScalar.forward(a, mask, q, off, k, off, v, off, want, off, work, 0, batch, 0, tq);
                // A workspace holds whatever the last instruction left there: nothing may read a lane it did not write.
                java.util.Arrays.fill(work, Float.NaN);
                AttentionSimd.forward(a, mask, q, off, k, off, v, off, got, off, work, 0, batch, 0, tq);
                String what = AttentionCases.describe("attention", a, mask);
                // The pool's units, blocks of query rows, give the same bits as whole entries.
                float[] byBlocks = new float[want.length];
                java.util.Arrays.fill(work, Float.NaN);
                for (int from = 0; from < tq; from += a.forwardRows()) {
                    int to = Math.min(tq, from + a.forwardRows());
                    AttentionSimd.forward(a, mask, q, off, k, off, v, off, byBlocks, off, work, 0, batch, from, to);
                }
                assertArrayEquals(got, byBlocks, what + " by blocks of query rows");
                assertClose(want, got, 2e-5f, 2e-6f, what);
                double[] exact = naive(a, mask, q, k, v, off);
                for (int e = 0; e < exact.length; e++) { // a row whose keys are all hidden is NaN in both
                    if (Double.isNaN(exact[e])) assertEquals(Float.NaN, got[off + e], what + " at " + e);
                    else assertEquals(exact[e], got[off + e], 3e-5 * (1 + Math.abs(exact[e])), what + " at " + e);
                }
            }
        }
    }

    private static double[] naive(AttentionDims a, AttentionMaskLayout mask, float[] q, float[] k, float[] v, int off) {
        double[] out = new double[a.batch() * a.tq() * a.dv()], s = new double[a.tk()];
        for (int b = 0; b < a.batch(); b++) {
            for (int i = 0; i < a.tq(); i++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < a.tk(); j++) {
                    double dot = 0;
                    for (int c = 0; c < a.d(); c++) dot += (double) q[off + (b * a.tq() + i) * a.d() + c] * k[off + (b * a.tk() + j) * a.d() + c];
                    s[j] = Attention.masked(a, mask, b, i, j, (float) (dot * a.scale()));
                    max = Math.max(max, s[j]);
                }
                for (int j = 0; j < a.tk(); j++) sum += s[j] = Math.exp(s[j] - max);
                for (int c = 0; c < a.dv(); c++) {
                    double x = 0;
                    for (int j = 0; j < a.tk(); j++) x += s[j] * v[off + (b * a.tk() + j) * a.dv() + c];
                    out[(b * a.tq() + i) * a.dv() + c] = x / sum;
                }
            }
        }
        return out;
    }

    @org.junit.jupiter.api.Test
    void aRowWithEveryKeyHiddenIsNaN() {
        AttentionDims a = new AttentionDims(1, 2, 3, 2, 2, 1f, false);
        float[] hide = {0, 0, 0, 1, 0, 1};
        AttentionMaskLayout mask = new AttentionMaskLayout(hide, new int[] {0}, 3, 1, true);
        float[] q = {1, 2, 3, 4}, k = {1, 0, 0, 1, 1, 1}, v = {1, 2, 3, 4, 5, 6};
        for (boolean simd : new boolean[] {true, false}) {
            float[] out = new float[4], work = new float[a.workspace()];
            if (simd) AttentionSimd.forward(a, mask, q, 0, k, 0, v, 0, out, 0, work, 0, 1, 0, 2);
            else AttentionScalar.forward(a, mask, q, 0, k, 0, v, 0, out, 0, work, 0, 1, 0, 2);
            assertEquals(Float.NaN, out[0]);
            double p0 = Math.exp(3), p2 = Math.exp(7); // row 1 keeps keys 0 and 2
            assertEquals((p0 * 1 + p2 * 5) / (p0 + p2), out[2], 1e-5);
        }
    }
}
