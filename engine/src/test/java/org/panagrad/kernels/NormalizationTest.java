package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

import java.util.Random;
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
        NormalizationSimd.moments(outer, channels, inner, x, OFF, simd, OFF);
        NormalizationScalar.moments(outer, channels, inner, x, OFF, scalar, OFF);
        float[] exact = new float[OFF + 2 * channels];
        for (int c = 0; c < channels; c++) {
            double s = 0, q = 0;
            for (int o = 0; o < outer; o++) for (int i = 0; i < inner; i++) s += x[OFF + (o * channels + c) * inner + i];
            double mean = s / (outer * inner);
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    double d = x[OFF + (o * channels + c) * inner + i] - mean;
                    q += d * d;
                }
            }
            exact[OFF + c] = (float) mean;
            exact[OFF + channels + c] = (float) (q / (outer * inner));
        }
        assertClose(exact, scalar, 1e-5f, 1e-5f, "scalar moments, inner " + inner);
        assertClose(exact, simd, 1e-5f, 1e-5f, "SIMD moments, inner " + inner);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void affineMatchesScalarBitForBit(int inner) {
        Random rnd = new Random(inner);
        int outer = 2, channels = 3, n = outer * channels * inner;
        float[] x = random(rnd, OFF + n, -2f, 2f), scale = random(rnd, OFF + channels, 0.5f, 2f), shift = random(rnd, OFF + channels, -1f, 1f);
        float[] simd = new float[OFF + n], scalar = new float[OFF + n];
        NormalizationSimd.affine(outer, channels, inner, x, OFF, scale, OFF, shift, OFF, simd, OFF);
        NormalizationScalar.affine(outer, channels, inner, x, OFF, scale, OFF, shift, OFF, scalar, OFF);
        assertClose(scalar, simd, 0f, 0f, "affine, inner " + inner);
        float[] inPlace = x.clone();
        Normalization.affine(outer, channels, inner, inPlace, OFF, scale, OFF, shift, OFF, inPlace, OFF);
        float[] expected = (Simd.ENABLED ? simd : scalar).clone();
        System.arraycopy(x, 0, expected, 0, OFF);
        assertClose(expected, inPlace, 0f, 0f, "affine in place, inner " + inner);
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
