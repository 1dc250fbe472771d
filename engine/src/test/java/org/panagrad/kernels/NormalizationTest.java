package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Batch normalisation's per-channel passes: SIMD against the scalar twin and against float64 moments. */
class NormalizationTest {
    private static final int OFF = 3;

    static java.util.stream.IntStream sizes() {
        return KernelTestSupport.sizes();
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void momentsMatchScalarAndDouble(int inner) {
        Random rnd = new Random(inner);
        int outer = 3, channels = 5, n = outer * channels * inner;
        float[] x = random(rnd, OFF + n, -1f, 1f);
        for (int i = OFF; i < x.length; i++) x[i] += 100; // a large mean against a unit spread
        float[] simd = new float[OFF + 2 * channels], scalar = new float[OFF + 2 * channels];
        NormalizationSimd.moments(outer, channels, 0, channels, inner, x, OFF, simd, OFF);
        NormalizationScalar.moments(outer, channels, 0, channels, inner, x, OFF, scalar, OFF);
        float[] exact = new float[OFF + 2 * channels];
        for (int c = 0; c < channels; c++) {
            double mean = overChannel(outer, channels, inner, c, at -> x[at]) / (outer * inner);
            exact[OFF + c] = (float) mean;
            exact[OFF + channels + c] = (float) (overChannel(outer, channels, inner, c, at -> (x[at] - mean) * (x[at] - mean)) / (outer * inner));
        }
        assertClose(exact, scalar, 1e-5f, 1e-5f, "scalar moments, inner " + inner);
        assertClose(exact, simd, 1e-5f, 1e-5f, "SIMD moments, inner " + inner);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void channelDotsMatchDouble(int inner) {
        Random rnd = new Random(inner);
        int outer = 3, channels = 5, n = outer * channels * inner;
        float[] g = random(rnd, OFF + n, -1f, 1f), x = random(rnd, OFF + n, -2f, 2f);
        float[] dots = new float[OFF + 2 * channels], exact = new float[OFF + 2 * channels];
        Normalization.channelDots(outer, channels, inner, g, OFF, x, OFF, dots, OFF);
        for (int c = 0; c < channels; c++) {
            exact[OFF + c] = (float) overChannel(outer, channels, inner, c, at -> g[at]);
            exact[OFF + channels + c] = (float) overChannel(outer, channels, inner, c, at -> (double) g[at] * x[at]);
        }
        assertClose(exact, dots, 1e-5f, 1e-5f, "channel dots, inner " + inner);
    }

    /** One affine map per channel, and the sum of two in one pass: SIMD against the scalar twin bit for bit, in place, and in double. */
    @ParameterizedTest
    @MethodSource("sizes")
    void affineAndAffinePairMatchScalarBitForBit(int inner) {
        Random rnd = new Random(inner);
        int outer = 2, channels = 3, n = outer * channels * inner;
        float[] x = random(rnd, OFF + n, -2f, 2f), scale = random(rnd, OFF + channels, 0.5f, 2f), shift = random(rnd, OFF + channels, -1f, 1f);
        float[] b = random(rnd, OFF + n, -2f, 2f), sb = random(rnd, OFF + channels, -2f, 2f), hb = random(rnd, OFF + channels, -1f, 1f);
        float[][] simd = {new float[OFF + n], new float[OFF + n]}, scalar = {new float[OFF + n], new float[OFF + n]}, inPlace = {x.clone(), x.clone()};
        NormalizationSimd.affine(outer, channels, inner, x, OFF, scale, OFF, shift, OFF, simd[0], OFF);
        NormalizationScalar.affine(outer, channels, inner, x, OFF, scale, OFF, shift, OFF, scalar[0], OFF);
        Normalization.affine(outer, channels, inner, inPlace[0], OFF, scale, OFF, shift, OFF, inPlace[0], OFF);
        NormalizationSimd.affinePair(outer, channels, inner, x, OFF, scale, OFF, shift, OFF, b, OFF, sb, OFF, hb, OFF, simd[1], OFF);
        NormalizationScalar.affinePair(outer, channels, inner, x, OFF, scale, OFF, shift, OFF, b, OFF, sb, OFF, hb, OFF, scalar[1], OFF);
        Normalization.affinePair(outer, channels, inner, inPlace[1], OFF, scale, OFF, shift, OFF, b, OFF, sb, OFF, hb, OFF, inPlace[1], OFF);
        float[] exact = new float[OFF + n];
        for (int at = OFF; at < OFF + n; at++) {
            int c = (at - OFF) / inner % channels;
            exact[at] = (float) ((double) x[at] * scale[OFF + c] + shift[OFF + c] + (double) b[at] * sb[OFF + c] + hb[OFF + c]);
        }
        assertClose(exact, scalar[1], 1e-6f, 1e-6f, "affine pair against double, inner " + inner);
        for (int k = 0; k < 2; k++) {
            String what = (k == 0 ? "affine" : "affine pair") + ", inner " + inner;
            assertClose(scalar[k], simd[k], 0f, 0f, what);
            float[] expected = (Simd.ENABLED ? simd[k] : scalar[k]).clone();
            System.arraycopy(x, 0, expected, 0, OFF);
            assertClose(expected, inPlace[k], 0f, 0f, what + " in place");
        }
    }

    /** The float64 sum of f over channel c's elements (their indices, past OFF). */
    private static double overChannel(int outer, int channels, int inner, int c, IntToDoubleFunction f) {
        double s = 0;
        for (int o = 0; o < outer; o++) for (int i = 0; i < inner; i++) s += f.applyAsDouble(OFF + (o * channels + c) * inner + i);
        return s;
    }

    @Test
    void runningStatisticsFollowPyTorch() {
        // torch: running = 0.9 * running + 0.1 * batch, with the batch variance times n / (n - 1).
        float[] moments = {1f, 2f, 0.5f, 4f}, mean = {0f, 1f}, var = {1f, 1f};
        Normalization.updateRunning(2, 0.1f, 5, moments, 0, mean, 0, var, 0);
        assertEquals(0.1f, mean[0], 1e-7f);
        assertEquals(1.1f, mean[1], 1e-7f);
        assertEquals(0.9f + 0.1f * 0.5f * 5 / 4, var[0], 1e-7f);
        assertEquals(0.9f + 0.1f * 4f * 5 / 4, var[1], 1e-6f);
    }
}
