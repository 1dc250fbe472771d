package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The dropout mask: SIMD bit for bit against the scalar twin, a pure function of key and index, at its rate. */
class DropoutMaskTest {
    private static final int OFF = 5;

    static java.util.stream.IntStream sizes() {
        return KernelTestSupport.sizes();
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void simdMatchesScalarBitForBit(int n) {
        Random rnd = new Random(n);
        float[] x = random(rnd, OFF + n, -1f, 1f);
        for (double p : new double[] {0, 0.1, 0.5, 0.95}) {
            for (int first : new int[] {0, 13}) {
                float[] simd = new float[OFF + n], scalar = new float[OFF + n];
                int t = DropoutMask.threshold(p);
                float scale = (float) (1 / (1 - p));
                DropoutMaskSimd.apply(n, 0x1234_5678_9abc_def0L, first, t, scale, x, OFF, simd, OFF);
                DropoutMaskScalar.apply(n, 0x1234_5678_9abc_def0L, first, t, scale, x, OFF, scalar, OFF);
                assertClose(scalar, simd, 0f, 0f, "dropout p=" + p + " from " + first + ", n " + n);
            }
        }
    }

    @Test
    void aSliceOfAPassDrawsTheSameBitsAsTheWholePass() {
        int n = 1000;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        float[] whole = new float[n], part = new float[n];
        long key = CounterHash.streamKey(42, 7);
        DropoutMask.apply(n, key, 0, DropoutMask.threshold(0.5), 2f, ones, 0, whole, 0);
        DropoutMask.apply(n - 300, key, 300, DropoutMask.threshold(0.5), 2f, ones, 300, part, 300);
        for (int i = 300; i < n; i++) assertEquals(whole[i], part[i], "element " + i);
    }

    @Test
    void dropsAtTheRequestedRateAndDifferentStepsDrawDifferentMasks() {
        int n = 200_000;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        float[] a = new float[n], b = new float[n];
        DropoutMask.apply(n, CounterHash.streamKey(1, 0), 0, DropoutMask.threshold(0.3), 1 / 0.7f, ones, 0, a, 0);
        DropoutMask.apply(n, CounterHash.streamKey(1, 1), 0, DropoutMask.threshold(0.3), 1 / 0.7f, ones, 0, b, 0);
        int droppedA = 0, both = 0;
        double mean = 0;
        for (int i = 0; i < n; i++) {
            if (a[i] == 0) droppedA++;
            if (a[i] == 0 && b[i] == 0) both++;
            mean += a[i];
        }
        // Binomial(200000, 0.3): standard deviation 205; independent masks overlap at 0.09 n.
        assertEquals(0.3 * n, droppedA, 1000, "dropped");
        assertEquals(0.09 * n, both, 1000, "dropped at both steps");
        assertEquals(1.0, mean / n, 0.01, "inverted dropout keeps the mean");
        assertTrue(DropoutMask.threshold(0) == 0, "p = 0 keeps every element");
    }
}
