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

    /**
     * The moments through the facade (more images than {@link Normalization#SUM_CHUNKS}, so chunks of one and two
     * images) against float64, and the SIMD body's sums against its scalar twin's over a range of images, within
     * float rounding (lane sums against sums in order).
     */
    @ParameterizedTest
    @MethodSource("sizes")
    void momentsMatchScalarAndDouble(int inner) {
        Random rnd = new Random(inner);
        int outer = 11, channels = 5, n = outer * channels * inner;
        float[] x = random(rnd, OFF + n, -1f, 1f);
        for (int i = OFF; i < x.length; i++) x[i] += 100; // a large mean against a unit spread
        float[] moments = new float[OFF + 2 * channels];
        Normalization.moments(outer, channels, inner, x, OFF, moments, OFF);
        float[] exact = new float[OFF + 2 * channels];
        for (int c = 0; c < channels; c++) {
            double mean = overChannel(outer, channels, inner, c, at -> x[at]) / (outer * inner);
            exact[OFF + c] = (float) mean;
            exact[OFF + channels + c] = (float) (overChannel(outer, channels, inner, c, at -> (x[at] - mean) * (x[at] - mean)) / (outer * inner));
        }
        assertClose(exact, moments, 1e-5f, 1e-5f, "moments, inner " + inner);
        double[] simd = new double[1 + 2 * channels], scalar = new double[1 + 2 * channels];
        if (Simd.ENABLED) NormalizationSimd.moments(channels, 2, outer, inner, x, OFF, simd, 1);
        NormalizationScalar.moments(channels, 2, outer, inner, x, OFF, scalar, 1);
        if (Simd.ENABLED) assertSameSums(scalar, simd, "moments of images 2.., inner " + inner);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void channelDotsMatchDouble(int inner) {
        Random rnd = new Random(inner);
        int outer = 13, channels = 5, n = outer * channels * inner;
        float[] g = random(rnd, OFF + n, -1f, 1f), x = random(rnd, OFF + n, -2f, 2f);
        float[] dots = new float[OFF + 2 * channels], exact = new float[OFF + 2 * channels];
        Normalization.channelDots(outer, channels, inner, g, OFF, x, OFF, dots, OFF);
        double[] simd = new double[2 * channels], scalar = new double[2 * channels];
        if (Simd.ENABLED) NormalizationSimd.channelDots(channels, 1, outer, inner, g, OFF, x, OFF, simd, 0);
        NormalizationScalar.channelDots(channels, 1, outer, inner, g, OFF, x, OFF, scalar, 0);
        if (Simd.ENABLED) assertSameSums(scalar, simd, "channel dots of images 1.., inner " + inner);
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

    /**
     * Batch norm's ReLU fusions against the passes they replace, bit for bit, for the SIMD bodies and the scalar
     * twins alike: ReLU after the affine map (alone, plus a shortcut, or after a pair of maps), and ReLU's mask
     * taken into channel_dots and into the pair. Inputs include NaN, infinities, signed zeros and values that
     * the affine map sends to exactly 0.
     */
    @ParameterizedTest
    @MethodSource("sizes")
    void reluFusionsMatchTheirPassesBitForBit(int inner) {
        Random rnd = new Random(31 + inner);
        int outer = 2, channels = 3, n = outer * channels * inner;
        float[] x = random(rnd, OFF + n, -2f, 2f), b = random(rnd, OFF + n, -2f, 2f), r = random(rnd, OFF + n, -1f, 1f);
        float[] g = random(rnd, OFF + n, -1f, 1f);
        float[] sa = random(rnd, OFF + channels, 0.5f, 2f), ha = random(rnd, OFF + channels, -1f, 1f);
        float[] sb = random(rnd, OFF + channels, -2f, 2f), hb = random(rnd, OFF + channels, -1f, 1f);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f};
        for (int k = 0; k < special.length && k < n; k++) {
            int at = OFF + rnd.nextInt(n);
            x[at] = special[k];
            g[OFF + rnd.nextInt(n)] = special[(k + 1) % special.length];
        }
        if (n > 0) x[OFF + n - 1] = -ha[OFF + (n - 1) / inner % channels] / sa[OFF + (n - 1) / inner % channels]; // near 0 after the map
        for (boolean simd : new boolean[] {true, false}) {
            if (simd && !Simd.ENABLED) continue;
            String what = (simd ? "SIMD" : "scalar") + ", inner " + inner;
            float[] affine = new float[OFF + n], pair = new float[OFF + n], sum = new float[OFF + n];
            float[] fused = new float[OFF + n];
            if (simd) {
                NormalizationSimd.affine(outer, channels, inner, x, OFF, sa, OFF, ha, OFF, affine, OFF);
                NormalizationSimd.affinePair(outer, channels, inner, x, OFF, sa, OFF, ha, OFF, b, OFF, sb, OFF, hb, OFF, pair, OFF);
            } else {
                NormalizationScalar.affine(outer, channels, inner, x, OFF, sa, OFF, ha, OFF, affine, OFF);
                NormalizationScalar.affinePair(outer, channels, inner, x, OFF, sa, OFF, ha, OFF, b, OFF, sb, OFF, hb, OFF, pair, OFF);
            }
            for (int i = OFF; i < OFF + n; i++) sum[i] = affine[i] + r[i];

            if (simd) NormalizationSimd.affineRelu(outer, channels, inner, x, OFF, sa, OFF, ha, OFF, fused, OFF);
            else NormalizationScalar.affineRelu(outer, channels, inner, x, OFF, sa, OFF, ha, OFF, fused, OFF);
            assertBits(relu(affine), fused, "affine + relu, " + what);
            if (simd) NormalizationSimd.affineAddRelu(outer, channels, inner, x, OFF, sa, OFF, ha, OFF, r, OFF, fused, OFF);
            else NormalizationScalar.affineAddRelu(outer, channels, inner, x, OFF, sa, OFF, ha, OFF, r, OFF, fused, OFF);
            assertBits(relu(sum), fused, "affine + add + relu, " + what);
            if (simd) NormalizationSimd.affinePairRelu(outer, channels, inner, x, OFF, sa, OFF, ha, OFF, b, OFF, sb, OFF, hb, OFF, fused, OFF);
            else NormalizationScalar.affinePairRelu(outer, channels, inner, x, OFF, sa, OFF, ha, OFF, b, OFF, sb, OFF, hb, OFF, fused, OFF);
            assertBits(relu(pair), fused, "affine pair + relu, " + what);

            // The mask of relu(x * sa + ha), recomputed from x by the backward passes.
            float[] maskedByX = new float[OFF + n], expected = new float[OFF + n], activation = relu(affine);
            for (int i = OFF; i < OFF + n; i++) maskedByX[i] = activation[i] > 0f ? g[i] : 0f;
            if (simd) {
                NormalizationSimd.affinePair(outer, channels, inner, maskedByX, OFF, sb, OFF, hb, OFF, x, OFF, sa, OFF, ha, OFF, expected, OFF);
                NormalizationSimd.maskedAffinePair(outer, channels, inner, g, OFF, sb, OFF, hb, OFF, x, OFF, sa, OFF, ha, OFF, sa, OFF, ha, OFF,
                        fused, OFF);
            } else {
                NormalizationScalar.affinePair(outer, channels, inner, maskedByX, OFF, sb, OFF, hb, OFF, x, OFF, sa, OFF, ha, OFF, expected, OFF);
                NormalizationScalar.maskedAffinePair(outer, channels, inner, g, OFF, sb, OFF, hb, OFF, x, OFF, sa, OFF, ha, OFF, sa, OFF, ha, OFF,
                        fused, OFF);
            }
            assertBits(expected, fused, "relu mask + affine pair, " + what);

            double[] unfusedSums = new double[2 * channels], dotSums = new double[2 * channels];
            if (simd) {
                NormalizationSimd.channelDots(channels, 0, outer, inner, maskedByX, OFF, x, OFF, unfusedSums, 0);
                NormalizationSimd.maskedChannelDots(channels, 0, outer, inner, g, OFF, x, OFF, sa, OFF, ha, OFF, dotSums, 0);
            } else {
                NormalizationScalar.channelDots(channels, 0, outer, inner, maskedByX, OFF, x, OFF, unfusedSums, 0);
                NormalizationScalar.maskedChannelDots(channels, 0, outer, inner, g, OFF, x, OFF, sa, OFF, ha, OFF, dotSums, 0);
            }
            float[] dots = new float[OFF + 2 * channels], unfused = new float[OFF + 2 * channels];
            Normalization.store(channels, unfusedSums, 0, unfused, OFF);
            Normalization.store(channels, dotSums, 0, dots, OFF);
            // Sums: a NaN's sign and payload are whatever the compiled adds propagate, so any NaN matches a NaN.
            for (int i = OFF; i < dots.length; i++) {
                if (Float.floatToIntBits(unfused[i]) != Float.floatToIntBits(dots[i])) {
                    throw new AssertionError("relu mask + channel dots, " + what + ": element " + (i - OFF) + " is " + dots[i]
                            + ", the separate passes give " + unfused[i]);
                }
            }
            float[] exact = new float[OFF + 2 * channels];
            for (int c = 0; c < channels; c++) {
                exact[OFF + c] = (float) overChannel(outer, channels, inner, c, at -> maskedByX[at]);
                exact[OFF + channels + c] = (float) overChannel(outer, channels, inner, c, at -> (double) maskedByX[at] * x[at]);
            }
            for (int i = OFF; i < exact.length; i++) {
                if (!Float.isFinite(exact[i])) exact[i] = dots[i] = 0; // a masked-in NaN or infinity: its bits are checked above
            }
            assertClose(exact, dots, 1e-5f, 1e-5f, "masked channel dots against double, " + what);
        }
        // channelDots image by image: the same bits as Reductions' sum and dot run by run, channel by channel.
        float[] dots = new float[OFF + 2 * channels], runByRun = new float[OFF + 2 * channels];
        Normalization.channelDots(outer, channels, inner, b, OFF, r, OFF, dots, OFF);
        for (int c = 0; c < channels; c++) {
            double sum = 0, dot = 0;
            for (int o = 0; o < outer; o++) {
                int run = OFF + (o * channels + c) * inner;
                sum += Reductions.sum(inner, b, run);
                dot += Reductions.dot(inner, b, run, r, run);
            }
            runByRun[OFF + c] = (float) sum;
            runByRun[OFF + channels + c] = (float) dot;
        }
        assertBits(runByRun, dots, "channel dots against Reductions, inner " + inner);
    }

    /** The SIMD body's sums against the scalar twin's: within float rounding (lane sums against sums in order). */
    private static void assertSameSums(double[] expected, double[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            // A NaN on one side only fails too (the difference's comparison alone is false for NaN).
            boolean nan = Double.isNaN(expected[i]) || Double.isNaN(actual[i]);
            if (nan ? Double.isNaN(expected[i]) != Double.isNaN(actual[i])
                    : Math.abs(expected[i] - actual[i]) > 1e-5 * Math.max(1, Math.abs(expected[i]))) {
                throw new AssertionError(what + ": sum " + i + " is " + actual[i] + ", the scalar twin gives " + expected[i]);
            }
        }
    }

    private static float[] relu(float[] v) {
        float[] out = new float[v.length];
        for (int i = OFF; i < v.length; i++) out[i] = v[i] > 0f ? v[i] : 0f;
        return out;
    }

    private static void assertBits(float[] expected, float[] actual, String what) {
        for (int i = OFF; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + (i - OFF) + " is " + actual[i] + ", the separate passes give " + expected[i]);
            }
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
