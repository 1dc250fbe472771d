package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SoftmaxTest {
    static java.util.stream.IntStream sizes() {
        return KernelTestSupport.sizes();
    }

    private static final int OFF = 3;

    @Test
    void fastExpRelativeErrorOverSoftmaxRangeIsBelow2e6() {
        int lanes = Simd.FLOAT.length();
        float[] x = new float[lanes], y = new float[lanes];
        double worst = 0;
        float worstAt = 0;
        // 2^22 evenly spaced points over [-88, 0] plus both end points.
        int samples = 1 << 22;
        for (int s = 0; s <= samples; s += lanes) {
            for (int l = 0; l < lanes; l++) x[l] = (float) (-88.0 * Math.min(s + l, samples) / samples);
            VectorMath.exp(lanes, 1f, 0f, x, 0, y, 0); // whole vectors: no scalar tail
            for (int l = 0; l < lanes; l++) {
                double exact = Math.exp(x[l]);
                double rel = Math.abs(y[l] - exact) / exact;
                if (rel > worst) { worst = rel; worstAt = x[l]; }
            }
        }
        assertTrue(worst <= 2e-6, "max relative error " + worst + " at x = " + worstAt);
    }

    @Test
    void fastExpRelativeErrorOnPositiveSideAndLimits() {
        int lanes = Simd.FLOAT.length();
        float[] x = new float[lanes], y = new float[lanes];
        double worst = 0;
        for (int s = 0; s < 1 << 18; s += lanes) {
            for (int l = 0; l < lanes; l++) x[l] = (float) (88.0 * (s + l) / (1 << 18));
            VectorMath.exp(lanes, 1f, 0f, x, 0, y, 0); // whole vectors: no scalar tail
            for (int l = 0; l < lanes; l++) worst = Math.max(worst, Math.abs(y[l] - Math.exp(x[l])) / Math.exp(x[l]));
        }
        assertTrue(worst <= 2e-6, "max relative error on [0, 88]: " + worst);
        float[] limits = new float[lanes];
        java.util.Arrays.fill(limits, Float.NEGATIVE_INFINITY);
        limits[0] = 89f;
        VectorMath.exp(lanes, 1f, 0f, limits, 0, y, 0);
        assertEquals(Float.POSITIVE_INFINITY, y[0]);
        assertEquals(0f, y[1]);
    }

    /**
     * The softmax's exp (inputs at most 0): the same bits as {@link VectorMath#exp} down to -87.3, below that 0 or
     * exp within two subnormal steps; 0 for -inf, NaN for NaN; its sum as added up, and its scalar tail Math.exp.
     */
    @Test
    void expOfNonPositiveInputsIsExpDownToTheNormalRange() {
        int lanes = Simd.FLOAT.length(), samples = 1 << 20;
        float[] x = new float[lanes], want = new float[lanes], got = new float[lanes];
        for (int s = 0; s <= samples; s += lanes) {
            for (int l = 0; l < lanes; l++) x[l] = (float) (-110.0 * Math.min(s + l, samples) / samples);
            float shift = s % 3 == 0 ? 0f : -1.5f; // shifted inputs x - shift, still at most 0 near the top
            VectorMath.exp(lanes, 1f, shift, x, 0, want, 0);
            float sum = VectorMath.expNonPositive(lanes, shift, x, 0, got, 0);
            double added = 0;
            for (int l = 0; l < lanes; l++) {
                float in = x[l] - shift;
                if (in >= -87.3f) assertEquals(want[l], got[l], "exp(" + in + ")");
                else assertTrue(got[l] == 0f || Math.abs(got[l] - Math.exp(in)) <= 1e-6 * Math.exp(in) + 2 * Float.MIN_VALUE,
                        "exp(" + in + ") = " + got[l]);
                added += got[l];
            }
            assertEquals(added, sum, 1e-6 * added, "sum at " + s);
        }
        float[] odd = {Float.NEGATIVE_INFINITY, Float.NaN, -3f};
        float[] out = new float[lanes + 3], in = new float[lanes + 3];
        for (int l = 0; l < in.length; l++) in[l] = odd[l % 3];
        VectorMath.expNonPositive(in.length, 0f, in, 0, out, 0);
        for (int l = 0; l < in.length; l++) {
            if (l % 3 == 0) assertEquals(0f, out[l], "exp(-inf) at " + l);
            else if (l % 3 == 1) assertTrue(Float.isNaN(out[l]), "exp(NaN) at " + l);
            else assertEquals((float) Math.exp(-3.0), out[l], 2e-6f * out[l], "exp(-3) at " + l);
        }
    }

    /** Classes last (rows of n) and classes in the middle with n positions after them (vectors across positions). */
    private static Axis[] axes(int n) {
        return new Axis[] {new Axis(4, n, 1), new Axis(2, 5, n), new Axis(3, n, 7)};
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void softmaxAndLogSoftmaxMatchScalar(int n) {
        Random rnd = new Random(n);
        for (Axis ax : axes(n)) {
            float[] x = random(rnd, OFF + ax.size(), -30f, 30f);
            float[] want = new float[OFF + ax.size()], got = new float[OFF + ax.size()];
            SoftmaxScalar.softmax(ax, x, OFF, want, OFF);
            SoftmaxSimd.softmax(ax, x, OFF, got, OFF);
            assertClose(want, got, 1e-5f, 1e-30f, "softmax " + ax);
            SoftmaxScalar.logSoftmax(ax, x, OFF, want, OFF);
            SoftmaxSimd.logSoftmax(ax, x, OFF, got, OFF);
            assertClose(want, got, 1e-5f, 1e-5f, "logSoftmax " + ax);
            float[] inPlace = x.clone();
            SoftmaxSimd.softmax(ax, inPlace, OFF, inPlace, OFF);
            SoftmaxScalar.softmax(ax, x, OFF, want, OFF);
            assertClose(gradPart(want), gradPart(inPlace), 1e-5f, 1e-30f, "softmax in place " + ax);
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void crossEntropyLossAndGradMatchScalar(int n) {
        Random rnd = new Random(n);
        int ignore = -100;
        for (Axis ax : axes(n)) {
            float[] z = random(rnd, OFF + ax.size(), -10f, 10f);
            float[] labels = new float[1 + ax.positions()];
            for (int i = 0; i < ax.positions(); i++) labels[1 + i] = rnd.nextInt(4) == 0 ? ignore : rnd.nextInt(ax.length());
            labels[1] = 0; // at least one position counts
            float want = SoftmaxScalar.crossEntropyMean(ax, ignore, z, OFF, labels, 1);
            float got = SoftmaxSimd.crossEntropyMean(ax, ignore, z, OFF, labels, 1);
            assertEquals(want, got, 1e-5f * Math.max(1f, Math.abs(want)), "crossEntropyMean " + ax);
            float scale = 1f / Softmax.counted(ax.positions(), ignore, labels, 1);
            float[] gWant = new float[OFF + ax.size()], gGot = new float[OFF + ax.size()];
            SoftmaxScalar.crossEntropyGrad(ax, ignore, scale, z, OFF, labels, 1, gWant, OFF);
            SoftmaxSimd.crossEntropyGrad(ax, ignore, scale, z, OFF, labels, 1, gGot, OFF);
            assertClose(gWant, gGot, 1e-5f, 1e-7f, "crossEntropyGrad " + ax);

            // Written over the logits themselves, as the compiled program may.
            float[] zCopy = z.clone();
            SoftmaxSimd.crossEntropyGrad(ax, ignore, scale, zCopy, OFF, labels, 1, zCopy, OFF);
            assertClose(gradPart(gWant), gradPart(zCopy), 1e-5f, 1e-7f, "crossEntropyGrad in place " + ax);
            float[] zCopy2 = z.clone();
            SoftmaxScalar.crossEntropyGrad(ax, ignore, scale, zCopy2, OFF, labels, 1, zCopy2, OFF);
            assertClose(gradPart(gWant), gradPart(zCopy2), 0f, 0f, "scalar crossEntropyGrad in place " + ax);

            // Ignored positions have zero gradient; the others sum to zero along the classes.
            for (int o = 0; o < ax.outer(); o++) {
                for (int j = 0; j < ax.inner(); j++) {
                    float total = 0, abs = 0;
                    for (int c = 0; c < ax.length(); c++) {
                        float g = gGot[OFF + (o * ax.length() + c) * ax.inner() + j];
                        total += g;
                        abs += Math.abs(g);
                    }
                    if ((int) labels[1 + o * ax.inner() + j] == ignore) assertEquals(0f, abs, "ignored position " + ax);
                    else assertEquals(0f, total, 1e-6f, "gradient sum at a counted position " + ax);
                }
            }
        }
    }

    private static float[] gradPart(float[] withOffset) {
        return java.util.Arrays.copyOfRange(withOffset, OFF, withOffset.length);
    }

    @Test
    void everyPositionIgnoredGivesANaNLossAndZeroGradient() {
        Axis ax = new Axis(3, 4, 1);
        float[] z = new float[12], labels = {-1, -1, -1}, grad = new float[12];
        assertTrue(Float.isNaN(Softmax.crossEntropyMean(ax, -1, z, 0, labels, 0)));
        Softmax.crossEntropyGrad(ax, -1, z, 0, labels, 0, grad, 0);
        assertArrayEquals(new float[12], grad);
    }

    @Test
    void softmaxRowsSumToOneAndSurviveHugeLogits() {
        float[] x = {1000f, 0f, -1000f, Float.NEGATIVE_INFINITY, 999f, 1f, 2f, 3f, 4f, 5f};
        float[] out = new float[10];
        SoftmaxSimd.softmax(new Axis(1, 10, 1), x, 0, out, 0);
        float sum = 0;
        for (float v : out) { assertTrue(v >= 0f && !Float.isNaN(v)); sum += v; }
        assertEquals(1f, sum, 1e-6f);
        assertEquals(1f / (1f + (float) Math.exp(-1)), out[0], 1e-6f);
    }
}
