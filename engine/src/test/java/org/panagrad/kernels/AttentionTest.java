package org.panagrad.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

/**
 * The fused attention's SIMD body against its scalar twin and a float64 softmax over whole rows, at sizes around
 * the vector width and the key block (1 to 256 keys and queries), odd head dims (1 to 256), and every kind of mask.
 */
class AttentionTest {
    static Stream<Arguments> shapes() {
        return Stream.of(Arguments.of(1, 1, 1, 1, 1), Arguments.of(2, 3, 7, 5, 3), Arguments.of(1, 17, 17, 16, 16),
                Arguments.of(3, 5, 65, 7, 17), Arguments.of(1, 130, 130, 64, 64), Arguments.of(2, 9, 129, 33, 31),
                Arguments.of(1, 64, 64, 8, 40), Arguments.of(1, 3, 3, 3, 3), Arguments.of(1, 63, 63, 63, 63),
                Arguments.of(1, 65, 65, 65, 65), Arguments.of(2, 17, 64, 64, 17), Arguments.of(1, 256, 256, 64, 64),
                Arguments.of(1, 1, 256, 17, 65), Arguments.of(1, 256, 3, 1, 1), Arguments.of(1, 63, 17, 256, 3));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void simdMatchesScalarAndDouble(int batch, int tq, int tk, int d, int dv) {
        Random rnd = new Random(tq * 31 + tk);
        int off = 3;
        float[] q = random(rnd, off + batch * tq * d, -2f, 2f), k = random(rnd, off + batch * tk * d, -2f, 2f);
        float[] v = random(rnd, off + batch * tk * dv, -1f, 1f);
        float[] additive = random(rnd, tq * tk, -3f, 1f), keep = new float[tq * tk], padding = new float[batch * tk];
        for (int e = 0; e < keep.length; e++) keep[e] = e % (tk + 1) == 0 || rnd.nextInt(3) > 0 ? 1f : 0f;
        for (int b = 0; b < batch; b++) padding[b * tk + tk - 1 - Math.min(b, tk - 1)] = Float.NEGATIVE_INFINITY;
        int[] sameForAll = new int[batch], perEntry = new int[batch];
        for (int b = 0; b < batch; b++) perEntry[b] = b * tk;
        AttentionMaskLayout[] masks = {null, new AttentionMaskLayout(additive, sameForAll, tk, 1, false),
            new AttentionMaskLayout(keep, sameForAll, tk, 1, true), new AttentionMaskLayout(padding, perEntry, 0, 1, false)};
        for (AttentionMaskLayout mask : masks) {
            for (boolean causal : new boolean[] {false, true}) {
                if (mask == masks[3] && tk == 1) continue; // every key hidden: NaN rows, checked below
                AttentionDims a = new AttentionDims(batch, tq, tk, d, dv, 1f / (float) Math.sqrt(d), causal);
                float[] want = new float[off + batch * tq * dv], got = new float[want.length];
                float[] work = new float[a.workspace()];
                AttentionScalar.forward(a, mask, q, off, k, off, v, off, want, off, work, 0, batch);
                AttentionSimd.forward(a, mask, q, off, k, off, v, off, got, off, work, 0, batch);
                String what = "attention " + a + (mask == null ? "" : " mask " + mask.keep() + " " + mask.rowStride());
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
            if (simd) AttentionSimd.forward(a, mask, q, 0, k, 0, v, 0, out, 0, work, 0, 1);
            else AttentionScalar.forward(a, mask, q, 0, k, 0, v, 0, out, 0, work, 0, 1);
            assertEquals(Float.NaN, out[0]);
            double p0 = Math.exp(3), p2 = Math.exp(7); // row 1 keeps keys 0 and 2
            assertEquals((p0 * 1 + p2 * 5) / (p0 + p2), out[2], 1e-5);
        }
    }
}
