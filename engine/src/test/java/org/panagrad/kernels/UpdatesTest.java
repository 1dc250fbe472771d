package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class UpdatesTest {
    static java.util.stream.IntStream sizes() {
        return KernelTestSupport.sizes();
    }

    private static final int OFF = 2;

    @ParameterizedTest
    @MethodSource("sizes")
    void sgdAndMomentumMatchScalar(int n) {
        Random rnd = new Random(n);
        float[] p0 = random(rnd, OFF + n, -1f, 1f), g = random(rnd, OFF + n, -1f, 1f);
        float[] v0 = random(rnd, OFF + n, -0.1f, 0.1f);
        float[] pw = p0.clone(), pg = p0.clone();
        float sw = UpdatesScalar.sgd(n, 0.1f, 0.01f, pw, OFF, g, OFF);
        float sg = UpdatesSimd.sgd(n, 0.1f, 0.01f, pg, OFF, g, OFF);
        assertClose(pw, pg, 1e-6f, 1e-7f, "sgd");
        assertSquares(g, n, sw, sg, "sgd");
        for (boolean nesterov : new boolean[] {false, true}) {
            pw = p0.clone(); pg = p0.clone();
            float[] vw = v0.clone(), vg = v0.clone();
            for (int step = 0; step < 3; step++) {
                sw = UpdatesScalar.momentum(n, 0.1f, 0.9f, nesterov, 0.01f, pw, OFF, g, OFF, vw, OFF);
                sg = UpdatesSimd.momentum(n, 0.1f, 0.9f, nesterov, 0.01f, pg, OFF, g, OFF, vg, OFF);
                assertSquares(g, n, sw, sg, "momentum, nesterov=" + nesterov);
            }
            assertClose(vw, vg, 1e-5f, 1e-6f, "momentum velocity, nesterov=" + nesterov);
            assertClose(pw, pg, 1e-5f, 1e-6f, "momentum params, nesterov=" + nesterov);
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void adamAndAdamWMatchScalar(int n) {
        Random rnd = new Random(n);
        float[] p0 = random(rnd, OFF + n, -1f, 1f), g = random(rnd, OFF + n, -1f, 1f);
        for (boolean decoupled : new boolean[] {false, true}) {
            float[] pw = p0.clone(), pg = p0.clone();
            float[] mw = new float[OFF + n], mg = new float[OFF + n], vw = new float[OFF + n], vg = new float[OFF + n];
            float[] schedule = new float[3];
            AdamHyperparameters h = new AdamHyperparameters(0.9f, 0.999f, 1e-8f, 0.05f, decoupled, schedule);
            for (int t = 1; t <= 3; t++) {
                schedule[0] = 1e-2f;
                schedule[1] = 1f - (float) Math.pow(0.9, t);
                schedule[2] = 1f - (float) Math.pow(0.999, t);
                float sw = UpdatesScalar.adam(n, h, pw, OFF, g, OFF, mw, OFF, vw, OFF);
                float sg = UpdatesSimd.adam(n, h, pg, OFF, g, OFF, mg, OFF, vg, OFF);
                assertSquares(g, n, sw, sg, "adam, decoupled=" + decoupled);
            }
            assertClose(mw, mg, 1e-5f, 1e-7f, "adam m, decoupled=" + decoupled);
            assertClose(vw, vg, 1e-5f, 1e-8f, "adam v, decoupled=" + decoupled);
            assertClose(pw, pg, 1e-5f, 1e-6f, "adam p, decoupled=" + decoupled);
        }
    }

    /** A NaN or an infinity anywhere in the gradient, in the vector body or the tail, reaches the sum. */
    @ParameterizedTest
    @MethodSource("sizes")
    void aNonFiniteGradientMakesTheSumNonFinite(int n) {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int at : new int[] {0, n / 2, n - 1}) {
                float[] g = random(new Random(n), OFF + n, -1f, 1f);
                g[OFF + at] = bad;
                float[] p = new float[OFF + n], vel = new float[OFF + n], m = new float[OFF + n], v = new float[OFF + n];
                AdamHyperparameters h = new AdamHyperparameters(0.9f, 0.999f, 1e-8f, 0, false, new float[] {1e-3f, 0.1f, 0.001f});
                for (float s : new float[] {UpdatesScalar.sgd(n, 0.1f, 0, p, OFF, g, OFF), UpdatesSimd.sgd(n, 0.1f, 0, p, OFF, g, OFF),
                        UpdatesScalar.momentum(n, 0.1f, 0.9f, false, 0, p, OFF, g, OFF, vel, OFF),
                        UpdatesSimd.momentum(n, 0.1f, 0.9f, false, 0, p, OFF, g, OFF, vel, OFF),
                        UpdatesScalar.adam(n, h, p, OFF, g, OFF, m, OFF, v, OFF), UpdatesSimd.adam(n, h, p, OFF, g, OFF, m, OFF, v, OFF)}) {
                    assertTrue(!Float.isFinite(s) && (Float.isNaN(bad) == Float.isNaN(s) || Float.isNaN(s)),
                            "n=" + n + ", " + bad + " at " + at + ": sum " + s);
                    assertTrue(!Float.isFinite(Updates.norm(s, n, g, OFF)), "norm of a gradient holding " + bad);
                }
            }
        }
    }

    /** Squares that overflow float's sum are recomputed in double: a huge but finite gradient has a finite norm. */
    @Test
    void aNormBeyondTheFloatSumIsRecomputedInDouble() {
        int n = 100;
        float[] g = new float[n];
        java.util.Arrays.fill(g, 1e20f); // each square 1e40 overflows float
        float[] p = new float[n];
        float sum = Updates.sgd(n, 0f, 0f, p, 0, g, 0);
        assertEquals(Float.POSITIVE_INFINITY, sum);
        assertEquals(1e21f, Updates.norm(sum, n, g, 0), 1e15f);
        assertEquals(5f, Updates.norm(25f, n, g, 0)); // an ordinary sum is just its square root
    }

    /** Both twins' sums agree with the exact sum of squares in double. */
    private static void assertSquares(float[] g, int n, float scalar, float simd, String what) {
        double exact = 0;
        for (int i = 0; i < n; i++) exact += (double) g[OFF + i] * g[OFF + i];
        assertEquals(exact, scalar, 1e-5 * exact + 1e-7, what + ": scalar sum of squares");
        assertEquals(exact, simd, 1e-5 * exact + 1e-7, what + ": SIMD sum of squares");
    }
}
