package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The row kernels of the softmax cross-entropy step (sum, max, dot, scale, exp, log-softmax, the gradient) against
 * their scalar twins at every partial-vector tail, with NaN around the data: on either side of a row, as the
 * arena's neighbouring tensors are, so a masked-out lane that leaked into a sum or maximum, or a store past the
 * row, shows. Every size 1..40 and 16k + 1..3 (one to three floats past whole vectors at both widths), with room
 * after the row and with the row at the array's end (where a masked access would take the Vector API's checked path).
 */
class PartialVectorTailTest {
    private static final int BEFORE = 3, AFTER = 17;

    static IntStream sizes() {
        return IntStream.concat(IntStream.rangeClosed(1, 40), IntStream.of(49, 50, 51, 65, 66, 67, 161, 162, 163, 1009));
    }

    /** n random floats at BEFORE, NaN around them; after = 0 puts the row at the array's end. */
    private static float[] row(Random rnd, int n, int after) {
        float[] x = new float[BEFORE + n + after];
        Arrays.fill(x, Float.NaN);
        System.arraycopy(random(rnd, n, -20f, 20f), 0, x, BEFORE, n);
        return x;
    }

    private static float[] nanFilled(int n, int after) {
        float[] out = new float[BEFORE + n + after];
        Arrays.fill(out, Float.NaN);
        return out;
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void sumMaxAndDotIgnoreWhatLiesPastTheRow(int n) {
        for (int after : new int[] {AFTER, 0}) {
            Random rnd = new Random(n * 31L + after);
            float[] x = row(rnd, n, after), y = row(rnd, n, after);
            float tol = 2e-6f * 20 * n;
            String at = "n " + n + ", " + after + " floats after";
            assertEquals(ReductionsScalar.reduceRow(false, n, x, BEFORE), ReductionsSimd.reduceRow(false, n, x, BEFORE), tol, "sum " + at);
            assertEquals(ReductionsScalar.reduceRow(true, n, x, BEFORE), ReductionsSimd.reduceRow(true, n, x, BEFORE), "max " + at);
            assertEquals(ReductionsScalar.dot(n, x, BEFORE, y, BEFORE), ReductionsSimd.dot(n, x, BEFORE, y, BEFORE), tol * 20, "dot " + at);
            // All-negative rows: a masked-out lane read as 0 would win the maximum.
            float[] negative = x.clone();
            for (int i = 0; i < n; i++) negative[BEFORE + i] = -1f - Math.abs(x[BEFORE + i]);
            assertEquals(ReductionsScalar.reduceRow(true, n, negative, BEFORE), ReductionsSimd.reduceRow(true, n, negative, BEFORE),
                    "max of negatives " + at);
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void scaleAndExpWriteTheRowAndNothingElse(int n) {
        for (int after : new int[] {AFTER, 0}) {
            Random rnd = new Random(n * 17L + after);
            float[] x = row(rnd, n, after);
            String at = "n " + n + ", " + after + " floats after";
            float[] want = nanFilled(n, after), got = nanFilled(n, after);
            ElementwiseScalar.scale(n, -1.7f, x, BEFORE, want, BEFORE);
            ElementwiseSimd.scale(n, -1.7f, x, BEFORE, got, BEFORE);
            assertArrayEquals(want, got, "scale " + at);

            float[] e = nanFilled(n, after);
            float shift = 20f, sum = VectorMath.exp(n, 0.5f, shift, x, BEFORE, e, BEFORE);
            double reference = 0;
            for (int i = 0; i < n; i++) {
                double r = Math.exp(0.5 * x[BEFORE + i] - shift);
                assertEquals(r, e[BEFORE + i], 2e-6 * r, "exp at " + i + ", " + at);
                reference += r;
            }
            for (int i = 0; i < BEFORE; i++) assertEquals(Float.NaN, e[i], "exp wrote before the row, " + at);
            for (int i = BEFORE + n; i < e.length; i++) assertEquals(Float.NaN, e[i], "exp wrote past the row, " + at);
            assertEquals(reference, sum, 4e-6 * reference, "sum of exp " + at);
            assertEquals(sum, VectorMath.exp(n, 0.5f, shift, x, BEFORE, null, 0), "the sum alone " + at);
            float[] inPlace = x.clone();
            VectorMath.exp(n, 0.5f, shift, inPlace, BEFORE, inPlace, BEFORE);
            assertArrayEquals(e, inPlace, "exp in place " + at);
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void logSoftmaxAndCrossEntropyRowsMatchTheTwins(int n) {
        for (int after : new int[] {AFTER, 0}) {
            Random rnd = new Random(n * 7L + after);
            float[] x = row(rnd, n, after);
            String at = "n " + n + ", " + after + " floats after";
            Axis ax = new Axis(1, n, 1);
            float[] want = nanFilled(n, after), got = nanFilled(n, after);
            SoftmaxScalar.logSoftmax(ax, x, BEFORE, want, BEFORE);
            SoftmaxSimd.logSoftmax(ax, x, BEFORE, got, BEFORE);
            assertClose(want, got, 1e-5f, 1e-5f, "logSoftmax " + at);
            float[] labels = {n / 2};
            SoftmaxScalar.crossEntropyGrad(ax, -100, 0.25f, x, BEFORE, labels, 0, want, BEFORE);
            SoftmaxSimd.crossEntropyGrad(ax, -100, 0.25f, x, BEFORE, labels, 0, got, BEFORE);
            assertClose(want, got, 1e-5f, 1e-7f, "crossEntropyGrad " + at);
        }
    }
}
