package org.panagrad.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.kernels.KernelTestSupport.random;

/**
 * The fused attention's second order (the VJP of its backward) in vectors against its scalar twin and a float64
 * evaluation of the same formulas over whole rows, at {@link AttentionCases}' sizes and masks, causal or not, with
 * a NaN-filled workspace (nothing may read it before writing it); sharing the batch entries over 1, 2 or 3 threads
 * changes no bit, in the row loop and in the packed GEMMs; without gBar the other outputs keep their bits and gBar's
 * place is not written; a row whose keys are all hidden makes NaN, as the composed form does.
 */
class AttentionSecondOrderTest {
    @ParameterizedTest
    @MethodSource("org.panagrad.kernels.AttentionCases#shapes")
    void simdMatchesScalarAndDouble(int batch, int tq, int tk, int d, int dv) {
        Random rnd = new Random(tq * 41 + tk + 3 * d);
        int off = 3, nq = batch * tq * d, nk = batch * tk * d, nv = batch * tk * dv, ng = batch * tq * dv;
        float[] q = random(rnd, off + nq, -2f, 2f), k = random(rnd, off + nk, -2f, 2f);
        float[] v = random(rnd, off + nv, -1f, 1f), g = random(rnd, off + ng, -1f, 1f);
        float[] t = random(rnd, off + nq + nk + nv, -1f, 1f);
        AttentionMaskLayout[] masks = AttentionCases.masks(rnd, batch, tq, tk);
        int n = nq + nk + nv + ng;
        for (AttentionMaskLayout mask : masks) {
            for (boolean causal : new boolean[] {false, true}) {
                AttentionDims a = new AttentionDims(batch, tq, tk, d, dv, 1f / (float) Math.sqrt(d), causal);
                float[] want = new float[off + n], got = new float[off + n], work = new float[a.secondOrderWorkspace()];
                Arrays.fill(work, Float.NaN);
                AttentionSecondOrderScalar.secondOrder(a, mask, q, off, k, off, v, off, g, off, t, off, off + nq,
                        off + nq + nk, want, off, off + nq, off + nq + nk, off + nq + nk + nv, work, 0, batch);
                Arrays.fill(work, Float.NaN);
                AttentionSecondOrderSimd.secondOrder(a, mask, q, off, k, off, v, off, g, off, t, off, off + nq,
                        off + nq + nk, got, off, off + nq, off + nq + nk, off + nq + nk + nv, work, 0, batch);
                String what = AttentionCases.describe("attention second order", a, mask);
                double[] exact = naive(a, mask, q, k, v, g, t, off);
                double scale = 0;
                for (double x : exact) if (!Double.isNaN(x)) scale = Math.max(scale, Math.abs(x));
                for (int e = 0; e < n; e++) {
                    for (float[] kernel : new float[][] {want, got}) {
                        if (Double.isNaN(exact[e])) assertTrue(Float.isNaN(kernel[off + e]), what + " NaN at " + e);
                        else assertEquals(exact[e], kernel[off + e], 2e-5 * scale + 1e-4 * Math.abs(exact[e]),
                                what + (kernel == got ? " simd" : " scalar") + " at " + e + " of qBar|kBar|vBar|gBar "
                                        + nq + "|" + nk + "|" + nv);
                    }
                }
            }
        }
    }

    /** qBar | kBar | vBar | gBar in float64, as {@link Attention#secondOrder} defines them, from whole rows. */
    private static double[] naive(AttentionDims a, AttentionMaskLayout mask, float[] q, float[] k, float[] v, float[] g,
                                  float[] t, int off) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), nb = a.batch();
        int akAt = nb * tq * d, avAt = akAt + nb * tk * d, gBarAt = avAt + nb * tk * dv;
        double s = a.scale();
        double[] out = new double[gBarAt + nb * tq * dv], p = new double[tk], dp = new double[tk], x = new double[tk];
        double[] z = new double[tk];
        for (int b = 0; b < nb; b++) {
            for (int i = 0; i < tq; i++) {
                int qi = (b * tq + i) * d, gi = (b * tq + i) * dv;
                double max = Double.NEGATIVE_INFINITY, sum = 0, rowDot = 0, e = 0, f = 0;
                for (int j = 0; j < tk; j++) {
                    int kj = (b * tk + j) * d, vj = (b * tk + j) * dv;
                    double dot = 0, sb = 0, pb = 0, gv = 0;
                    for (int c = 0; c < d; c++) {
                        dot += (double) q[off + qi + c] * k[off + kj + c];
                        sb += (double) t[off + qi + c] * k[off + kj + c] + (double) q[off + qi + c] * t[off + akAt + kj + c];
                    }
                    for (int c = 0; c < dv; c++) {
                        gv += (double) g[off + gi + c] * v[off + vj + c];
                        pb += (double) g[off + gi + c] * t[off + avAt + vj + c];
                    }
                    p[j] = Attention.masked(a, mask, b, i, j, (float) (dot * s));
                    max = Math.max(max, p[j]);
                    dp[j] = gv;
                    x[j] = s * sb;
                    z[j] = pb;
                }
                for (int j = 0; j < tk; j++) sum += p[j] = Math.exp(p[j] - max);
                for (int j = 0; j < tk; j++) {
                    p[j] /= sum;
                    rowDot += p[j] * dp[j];
                    e += p[j] * x[j];
                }
                for (int j = 0; j < tk; j++) {
                    z[j] += x[j] * (dp[j] - rowDot) - e * dp[j];
                    f += p[j] * z[j];
                }
                for (int j = 0; j < tk; j++) {
                    int kj = (b * tk + j) * d, vj = (b * tk + j) * dv;
                    double ds = s * p[j] * (dp[j] - rowDot), dpBar = p[j] * (x[j] - e), sBar = s * p[j] * (z[j] - f);
                    for (int c = 0; c < d; c++) {
                        out[qi + c] += ds * t[off + akAt + kj + c] + sBar * k[off + kj + c];
                        out[akAt + kj + c] += ds * t[off + qi + c] + sBar * q[off + qi + c];
                    }
                    for (int c = 0; c < dv; c++) {
                        out[avAt + vj + c] += dpBar * g[off + gi + c];
                        out[gBarAt + gi + c] += p[j] * t[off + avAt + vj + c] + dpBar * v[off + vj + c];
                    }
                }
            }
        }
        return out;
    }

    @Test
    void sharingTheEntriesOverThreadsChangesNoBit() {
        // Every input its own array and the cotangents at an offset, so an offset read from the wrong array or at
        // the wrong place cannot pass.
        for (AttentionCases.ThreadCase c : AttentionCases.threadCases(6)) {
            AttentionDims a = c.a();
            int nq = c.queries(), nk = c.keys();
            float[] t = random(new Random(nq), 5 + nq + 2 * nk, -1f, 1f);
            assertEquals(!a.causal() && a.tq() >= 128, AttentionBackwardSimd.usesPackedGemm(a), "which path " + a);
            AttentionCases.sameBitsAtOneTwoAndThreeThreads(2 * nq + 2 * nk,
                    out -> Attention.secondOrder(a, null, c.q(), 0, c.k(), 0, c.v(), 0, c.g(), 0, t, 5, 5 + nq, 5 + nq + nk,
                            out, 0, nq, nq + nk, nq + 2 * nk), "second order " + a);
        }
    }

    @Test
    void withoutGBarTheOtherOutputsKeepTheirBitsAndGBarIsNotWritten() {
        for (AttentionCases.ThreadCase c : AttentionCases.threadCases(9)) {
            AttentionDims a = c.a();
            int nq = c.queries(), nk = c.keys(), n = 2 * nq + 2 * nk;
            float[] t = random(new Random(nk), nq + 2 * nk, -1f, 1f), work = new float[a.secondOrderWorkspace()];
            for (boolean simd : new boolean[] {true, false}) {
                float[] all = new float[n], three = new float[n];
                Arrays.fill(three, 7f);
                for (float[] out : new float[][] {all, three}) {
                    int gBarOff = out == all ? nq + 2 * nk : -1;
                    if (simd) AttentionSecondOrderSimd.secondOrder(a, null, c.q(), 0, c.k(), 0, c.v(), 0, c.g(), 0, t, 0,
                            nq, nq + nk, out, 0, nq, nq + nk, gBarOff, work, 0, a.batch());
                    else AttentionSecondOrderScalar.secondOrder(a, null, c.q(), 0, c.k(), 0, c.v(), 0, c.g(), 0, t, 0,
                            nq, nq + nk, out, 0, nq, nq + nk, gBarOff, work, 0, a.batch());
                }
                String what = (simd ? "simd " : "scalar ") + a;
                assertArrayEquals(Arrays.copyOf(all, nq + 2 * nk), Arrays.copyOf(three, nq + 2 * nk), what + ": qBar | kBar | vBar");
                for (int e = nq + 2 * nk; e < n; e++) assertEquals(7f, three[e], what + ": gBar's place written at " + e);
            }
        }
    }

    @Test
    void aRowWithEveryKeyHiddenMakesNaN() {
        AttentionDims a = new AttentionDims(1, 2, 3, 2, 2, 1f, false);
        AttentionMaskLayout mask = new AttentionMaskLayout(new float[] {0, 0, 0, 1, 0, 1}, new int[] {0}, 3, 1, true);
        float[] q = {1, 2, 3, 4}, k = {1, 0, 0, 1, 1, 1}, v = {1, 2, 3, 4, 5, 6}, g = {1, 1, 1, 1};
        float[] t = {1, -1, 0.5f, 2, 1, 0, 0, 1, -1, 1, 2, 1, 0, 1, 1, -2};
        for (boolean simd : new boolean[] {true, false}) {
            float[] out = new float[4 + 6 + 6 + 4], work = new float[a.secondOrderWorkspace()];
            if (simd) AttentionSecondOrderSimd.secondOrder(a, mask, q, 0, k, 0, v, 0, g, 0, t, 0, 4, 10, out, 0, 4, 10, 16, work, 0, 1);
            else AttentionSecondOrderScalar.secondOrder(a, mask, q, 0, k, 0, v, 0, g, 0, t, 0, 4, 10, out, 0, 4, 10, 16, work, 0, 1);
            assertTrue(Float.isNaN(out[0]) && Float.isNaN(out[16]), "query 0 sees no key: its qBar and gBar");
            assertTrue(Float.isNaN(out[4]) && Float.isNaN(out[10]), "its NaN probabilities reach every key's kBar and vBar");
        }
    }
}
