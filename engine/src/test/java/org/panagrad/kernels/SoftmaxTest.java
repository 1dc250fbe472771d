package org.panagrad.kernels;

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

    @ParameterizedTest
    @MethodSource("sizes")
    void softmaxAndLogSoftmaxMatchScalar(int cols) {
        Random rnd = new Random(cols);
        int rows = 4;
        float[] x = random(rnd, OFF + rows * cols, -30f, 30f);
        float[] want = new float[OFF + rows * cols], got = new float[OFF + rows * cols];
        SoftmaxScalar.softmax(rows, cols, x, OFF, want, OFF);
        SoftmaxSimd.softmax(rows, cols, x, OFF, got, OFF);
        assertClose(want, got, 1e-5f, 1e-30f, "softmax");
        SoftmaxScalar.logSoftmax(rows, cols, x, OFF, want, OFF);
        SoftmaxSimd.logSoftmax(rows, cols, x, OFF, got, OFF);
        assertClose(want, got, 1e-5f, 1e-5f, "logSoftmax");
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void crossEntropyLossAndGradMatchScalar(int cols) {
        Random rnd = new Random(cols);
        int rows = 5;
        float[] z = random(rnd, OFF + rows * cols, -10f, 10f);
        float[] labels = new float[rows + 1];
        for (int i = 0; i < rows; i++) labels[1 + i] = rnd.nextInt(cols);
        float want = SoftmaxScalar.crossEntropyMean(rows, cols, z, OFF, labels, 1);
        assertEquals(want, SoftmaxSimd.crossEntropyMean(rows, cols, z, OFF, labels, 1), 1e-5f * Math.max(1f, Math.abs(want)));
        float[] gWant = new float[OFF + rows * cols], gGot = new float[OFF + rows * cols];
        SoftmaxScalar.crossEntropyGrad(rows, cols, 0.2f, z, OFF, labels, 1, gWant, OFF);
        SoftmaxSimd.crossEntropyGrad(rows, cols, 0.2f, z, OFF, labels, 1, gGot, OFF);
        assertClose(gWant, gGot, 1e-5f, 1e-7f, "crossEntropyGrad");

        // Fused, writing the gradient over the logits themselves.
        float[] zCopy = z.clone();
        float fused = Softmax.crossEntropyWithGrad(rows, cols, 0.2f, zCopy, OFF, labels, 1, zCopy, OFF);
        assertEquals(want, fused, 1e-5f * Math.max(1f, Math.abs(want)));
        assertClose(gradPart(gWant), gradPart(zCopy), 1e-5f, 1e-7f, "crossEntropyWithGrad in place");
        float[] zCopy2 = z.clone();
        assertEquals(want, SoftmaxScalar.crossEntropyWithGrad(rows, cols, 0.2f, zCopy2, OFF, labels, 1, zCopy2, OFF), 0f);
        assertClose(gradPart(gWant), gradPart(zCopy2), 0f, 0f, "scalar crossEntropyWithGrad in place");
    }

    private static float[] gradPart(float[] withOffset) {
        return java.util.Arrays.copyOfRange(withOffset, OFF, withOffset.length);
    }

    @Test
    void softmaxRowsSumToOneAndSurviveHugeLogits() {
        float[] x = {1000f, 0f, -1000f, Float.NEGATIVE_INFINITY, 999f, 1f, 2f, 3f, 4f, 5f};
        float[] out = new float[10];
        SoftmaxSimd.softmax(1, 10, x, 0, out, 0);
        float sum = 0;
        for (float v : out) { assertTrue(v >= 0f && !Float.isNaN(v)); sum += v; }
        assertEquals(1f, sum, 1e-6f);
        assertEquals(1f / (1f + (float) Math.exp(-1)), out[0], 1e-6f);
    }
}
