package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.numel;
import static org.panagrad.kernels.KernelTestSupport.random;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ReductionsTest {
    static java.util.stream.IntStream sizes() {
        return KernelTestSupport.sizes();
    }

    private static final int OFF = 3;

    @ParameterizedTest
    @MethodSource("sizes")
    void sumAndDotMatchScalar(int n) {
        Random rnd = new Random(n);
        float[] x = random(rnd, OFF + n, -1f, 1f), y = random(rnd, OFF + n, -1f, 1f);
        // Different summation order: allow a few ulp of the sum of magnitudes (<= n).
        float tol = 1e-6f * n;
        assertEquals(ReductionsScalar.reduceRow(false, n, x, OFF), ReductionsSimd.reduceRow(false, n, x, OFF), tol);
        assertEquals(ReductionsScalar.reduceRow(true, n, x, OFF), ReductionsSimd.reduceRow(true, n, x, OFF));
        assertEquals(ReductionsScalar.dot(n, x, OFF, y, OFF), ReductionsSimd.dot(n, x, OFF, y, OFF), tol);
    }

    /** Shapes around n and every set of axes of each: rows, columns, alternating groups, nothing, everything. */
    private static int[][] shapes(int n) {
        return new int[][] {{7, n}, {n}, {n, 3, 5}, {3, n, 2, 5}, {2, 1, n, 3}};
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void sumsAndMaximaOverEverySetOfAxesMatchTheNaiveLoopAndTheTwins(int n) {
        Random rnd = new Random(n);
        for (int[] dims : shapes(n)) {
            float[] x = random(rnd, OFF + numel(dims), -1f, 1f);
            for (int axes = 0; axes < 1 << dims.length; axes++) {
                Strided s = Strided.reduction(dims, axes);
                int outSize = s.extent(1);
                int[] into = KernelTestSupport.offsets(dims, reducedStrides(dims, axes));
                for (boolean max : new boolean[] {false, true}) {
                    double[] naive = new double[outSize];
                    Arrays.fill(naive, max ? Double.NEGATIVE_INFINITY : 0);
                    for (int i = 0; i < into.length; i++) {
                        naive[into[i]] = max ? Math.max(naive[into[i]], x[OFF + i]) : naive[into[i]] + x[OFF + i];
                    }
                    float[] scalar = new float[OFF + outSize], simd = new float[OFF + outSize];
                    Reductions.reduce(false, max, s, x, OFF, scalar, OFF);
                    Reductions.reduce(true, max, s, x, OFF, simd, OFF);
                    String what = (max ? "max " : "sum ") + Arrays.toString(dims) + " axes " + Integer.toBinaryString(axes) + " as " + s;
                    float[] want = new float[OFF + outSize];
                    for (int i = 0; i < outSize; i++) want[OFF + i] = (float) naive[i];
                    // Summed in float in another order than the double loop: a few ulp of the terms' magnitudes.
                    assertClose(want, scalar, max ? 0f : 1e-6f, max ? 0f : 1e-6f * numel(dims), what + " (scalar)");
                    int last = dims.length - 1;
                    while (last > 0 && dims[last] == 1) last--; // the innermost axis that is walked
                    boolean innermostReduced = (axes & (1 << last)) != 0 && dims[last] > 1;
                    if (max || !innermostReduced) assertArrayEquals(scalar, simd, what + ": the twins add in the same order");
                    else assertClose(scalar, simd, 0f, 1e-6f * numel(dims), what);
                }
            }
        }
    }

    /** Strides of the reduced result along each axis of dims: 0 on the reduced axes. */
    private static int[] reducedStrides(int[] dims, int axes) {
        int[] s = new int[dims.length];
        int step = 1;
        for (int a = dims.length - 1; a >= 0; a--) {
            if ((axes & (1 << a)) != 0) continue;
            s[a] = step;
            step *= dims[a];
        }
        return s;
    }
}
