package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

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
        assertEquals(ReductionsScalar.sum(n, x, OFF), ReductionsSimd.sum(n, x, OFF), tol);
        assertEquals(ReductionsScalar.dot(n, x, OFF, y, OFF), ReductionsSimd.dot(n, x, OFF, y, OFF), tol);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void rowAndColumnSumsMatchScalar(int n) {
        Random rnd = new Random(n);
        int rows = 7;
        float[] x = random(rnd, OFF + rows * n, -1f, 1f);
        float[] want = new float[OFF + n], got = new float[OFF + n];
        ReductionsScalar.sumOverRows(rows, n, x, OFF, want, OFF);
        ReductionsSimd.sumOverRows(rows, n, x, OFF, got, OFF);
        // Every column is summed row after row on both sides: the same floats, bit for bit.
        assertArrayEquals(want, got, "sumOverRows");
        float[] wantR = new float[OFF + rows], gotR = new float[OFF + rows];
        ReductionsScalar.sumOverCols(rows, n, x, OFF, wantR, OFF);
        ReductionsSimd.sumOverCols(rows, n, x, OFF, gotR, OFF);
        assertClose(wantR, gotR, 0f, 1e-6f * n, "sumOverCols");
    }
}
