package org.panagrad.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.kernels.KernelTestSupport.random;

/**
 * The fused attention backward's SIMD body against its scalar twin and a float64 backward over whole rows, at
 * {@link AttentionCases}' sizes (1 to 256 keys and queries, head dims 1 to 256, around the vector width), every
 * kind of mask, causal or not; a row whose keys are all hidden makes NaN in both, as the composed form does; the
 * cut of the batch entries over threads changes no bit, forward or backward, nor does it where long unmasked entries
 * take the packed GEMM.
 */
class AttentionBackwardTest {
    @ParameterizedTest
    @MethodSource("org.panagrad.kernels.AttentionCases#shapes")
    void simdMatchesScalarAndDouble(int batch, int tq, int tk, int d, int dv) {
        Random rnd = new Random(tq * 37 + tk + d);
        int off = 3;
        float[] q = random(rnd, off + batch * tq * d, -2f, 2f), k = random(rnd, off + batch * tk * d, -2f, 2f);
        float[] v = random(rnd, off + batch * tk * dv, -1f, 1f), g = random(rnd, off + batch * tq * dv, -1f, 1f);
        AttentionMaskLayout[] masks = AttentionCases.masks(rnd, batch, tq, tk);
        int nq = batch * tq * d, nk = batch * tk * d, n = nq + nk + batch * tk * dv;
        for (AttentionMaskLayout mask : masks) {
            for (boolean causal : new boolean[] {false, true}) {
                AttentionDims a = new AttentionDims(batch, tq, tk, d, dv, 1f / (float) Math.sqrt(d), causal);
                float[] want = new float[off + n], got = new float[off + n], work = new float[a.backwardWorkspace()];
                java.util.Arrays.fill(work, Float.NaN); // nothing may read the workspace before writing it
                AttentionBackwardScalar.backward(a, mask, q, off, k, off, v, off, g, off, want, off, off + nq, off + nq + nk, work, 0, batch);
                java.util.Arrays.fill(work, Float.NaN);
                AttentionBackwardSimd.backward(a, mask, q, off, k, off, v, off, g, off, got, off, off + nq, off + nq + nk, work, 0, batch);
                String what = AttentionCases.describe("attention backward", a, mask);
                double[] exact = naive(a, mask, q, k, v, g, off);
                double scale = 0;
                for (double x : exact) if (!Double.isNaN(x)) scale = Math.max(scale, Math.abs(x));
                for (int e = 0; e < n; e++) {
                    for (float[] kernel : new float[][] {want, got}) {
                        if (Double.isNaN(exact[e])) assertTrue(Float.isNaN(kernel[off + e]), what + " NaN at " + e);
                        else assertEquals(exact[e], kernel[off + e], 1e-5 * scale + 1e-4 * Math.abs(exact[e]),
                                what + (kernel == got ? " simd" : " scalar") + " at " + e + " of dq|dk|dv " + nq + "|" + nk);
                    }
                }
            }
        }
    }

    /** dq | dk | dv in float64 from whole rows of probabilities. */
    private static double[] naive(AttentionDims a, AttentionMaskLayout mask, float[] q, float[] k, float[] v, float[] g, int off) {
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), dkAt = a.batch() * tq * d, dvAt = dkAt + a.batch() * tk * d;
        double[] out = new double[dvAt + a.batch() * tk * dv], p = new double[tk], dp = new double[tk];
        for (int b = 0; b < a.batch(); b++) {
            for (int i = 0; i < tq; i++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0, rowDot = 0;
                for (int j = 0; j < tk; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += (double) q[off + (b * tq + i) * d + c] * k[off + (b * tk + j) * d + c];
                    p[j] = Attention.masked(a, mask, b, i, j, (float) (dot * a.scale()));
                    max = Math.max(max, p[j]);
                }
                for (int j = 0; j < tk; j++) sum += p[j] = Math.exp(p[j] - max);
                for (int j = 0; j < tk; j++) {
                    p[j] /= sum;
                    double x = 0;
                    for (int c = 0; c < dv; c++) x += (double) g[off + (b * tq + i) * dv + c] * v[off + (b * tk + j) * dv + c];
                    dp[j] = x;
                    rowDot += p[j] * x;
                }
                for (int j = 0; j < tk; j++) {
                    double ds = a.scale() * p[j] * (dp[j] - rowDot);
                    for (int c = 0; c < d; c++) {
                        out[(b * tq + i) * d + c] += ds * k[off + (b * tk + j) * d + c];
                        out[dkAt + (b * tk + j) * d + c] += ds * q[off + (b * tq + i) * d + c];
                    }
                    for (int c = 0; c < dv; c++) out[dvAt + (b * tk + j) * dv + c] += p[j] * g[off + (b * tq + i) * dv + c];
                }
            }
        }
        return out;
    }

    @Test
    void sharingTheUnitsOverThreadsChangesNoBit() {
        for (AttentionCases.ThreadCase c : AttentionCases.threadCases(5)) {
            int nq = c.queries(), nk = c.keys();
            AttentionCases.sameBitsAtOneTwoAndThreeThreads(nq,
                    out -> Attention.forward(c.a(), null, c.q(), 0, c.k(), 0, c.v(), 0, out, 0), "forward " + c.a());
            AttentionCases.sameBitsAtOneTwoAndThreeThreads(nq + 2 * nk, out -> Attention.backward(c.a(), null, c.q(), 0,
                    c.k(), 0, c.v(), 0, c.g(), 0, out, 0, nq, nq + nk), "backward " + c.a());
        }
    }

    @Test
    void thePackedGemmEntriesChangeNoBitWithTheThreadCount() {
        for (int batch : new int[] {1, 3}) {
            AttentionDims a = new AttentionDims(batch, 256, 256, 64, 64, 0.125f, false);
            assertTrue(AttentionBackwardSimd.usesPackedGemm(a));
            int n = batch * 256 * 64;
            Random rnd = new Random(batch);
            float[] q = random(rnd, n, -2f, 2f), k = random(rnd, n, -2f, 2f), v = random(rnd, n, -1f, 1f);
            float[] g = random(rnd, n, -1f, 1f);
            AttentionCases.sameBitsAtOneTwoAndThreeThreads(3 * n,
                    out -> Attention.backward(a, null, q, 0, k, 0, v, 0, g, 0, out, 0, n, 2 * n), "batch " + batch);
        }
    }

    @Test
    void aRowWithEveryKeyHiddenMakesNaN() {
        AttentionDims a = new AttentionDims(1, 2, 3, 2, 2, 1f, false);
        AttentionMaskLayout mask = new AttentionMaskLayout(new float[] {0, 0, 0, 1, 0, 1}, new int[] {0}, 3, 1, true);
        float[] q = {1, 2, 3, 4}, k = {1, 0, 0, 1, 1, 1}, v = {1, 2, 3, 4, 5, 6}, g = {1, 1, 1, 1};
        for (boolean simd : new boolean[] {true, false}) {
            float[] out = new float[4 + 6 + 6], work = new float[a.backwardWorkspace()];
            if (simd) AttentionBackwardSimd.backward(a, mask, q, 0, k, 0, v, 0, g, 0, out, 0, 4, 10, work, 0, 1);
            else AttentionBackwardScalar.backward(a, mask, q, 0, k, 0, v, 0, g, 0, out, 0, 4, 10, work, 0, 1);
            assertTrue(Float.isNaN(out[0]) && Float.isNaN(out[1]), "query 0 sees no key");
            assertTrue(Float.isNaN(out[4]) && Float.isNaN(out[10]), "its NaN probabilities reach every key's gradient");
        }
    }
}
