package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ElementwiseTest {
    static java.util.stream.IntStream sizes() {
        return KernelTestSupport.sizes();
    }

    private static final int OFF = 5; // a non-zero, non-aligned offset for every operand

    @ParameterizedTest
    @MethodSource("sizes")
    void binaryMatchesScalarForEveryBroadcastPattern(int n) {
        Random rnd = new Random(n);
        int rows = 3, cols = n;
        // Room for the strided pattern, which reads every other element.
        float[] a = random(rnd, OFF + 2 * rows * cols, 0.5f, 2f);
        float[] b = random(rnd, OFF + 2 * rows * cols, 0.5f, 2f);
        // {aRowStride, aColStride, bRowStride, bColStride}: dense, bias row, column vector, scalar, strided.
        int[][] patterns = {{cols, 1, cols, 1}, {cols, 1, 0, 1}, {cols, 1, 1, 0}, {0, 1, cols, 1},
                {1, 0, cols, 1}, {cols, 1, 0, 0}, {2 * cols, 2, cols, 1}, {2, 0, cols, 1}};
        for (BinaryOp op : BinaryOp.values()) {
            for (int[] p : patterns) {
                float[] want = new float[OFF + rows * cols];
                float[] got = new float[OFF + rows * cols];
                ElementwiseScalar.binary(op, rows, cols, a, OFF, p[0], p[1], b, OFF, p[2], p[3], want, OFF);
                ElementwiseSimd.binary(op, rows, cols, a, OFF, p[0], p[1], b, OFF, p[2], p[3], got, OFF);
                assertArrayEquals(want, got, op + " strides " + java.util.Arrays.toString(p));
            }
        }
    }

    @Test
    void binaryInPlace() {
        Random rnd = new Random(1);
        float[] a = random(rnd, 100, -1f, 1f), b = random(rnd, 100, -1f, 1f);
        float[] want = new float[100];
        ElementwiseScalar.binary(BinaryOp.ADD, 10, 10, a, 0, 10, 1, b, 0, 10, 1, want, 0);
        ElementwiseSimd.binary(BinaryOp.ADD, 10, 10, a, 0, 10, 1, b, 0, 10, 1, a, 0);
        assertArrayEquals(want, a);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void unaryMatchesScalar(int n) {
        Random rnd = new Random(n);
        float[] x = random(rnd, OFF + n, -12f, 12f);
        float[] positive = random(rnd, OFF + n, 1e-6f, 50f);
        for (UnaryOp op : UnaryOp.values()) {
            float[] in = op == UnaryOp.LOG ? positive : x;
            float[] want = new float[OFF + n], got = new float[OFF + n];
            ElementwiseScalar.unary(op, n, in, OFF, want, OFF);
            ElementwiseSimd.unary(op, n, in, OFF, got, OFF);
            // exp/log/tanh/sigmoid are polynomial approximations: a few ulp apart from Math.*
            assertClose(want, got, 2e-6f, 1e-7f, op.toString());
        }
    }

    @Test
    void unaryEdgeValues() {
        float[] x = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -200f, 200f, 1e-40f,
                -1e-40f, 88.7f, -87.5f, -103f, 1e-30f, 0.6f, -0.65f, 9.5f};
        for (UnaryOp op : UnaryOp.values()) {
            float[] want = new float[16], got = new float[16];
            ElementwiseScalar.unary(op, 16, x, 0, want, 0);
            ElementwiseSimd.unary(op, 16, x, 0, got, 0);
            assertClose(want, got, 3e-6f, 2e-45f, op + " on edge values");
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void scaleFillStepReluBackwardMatchScalar(int n) {
        Random rnd = new Random(n);
        float[] x = random(rnd, OFF + n, -1f, 1f);
        for (int i = OFF; i < OFF + n; i += 3) x[i] = 0f; // exercise the x == 0 branch of step
        float[] g = random(rnd, OFF + n, -1f, 1f);
        float[] want = new float[OFF + n], got = new float[OFF + n];

        ElementwiseScalar.scale(n, -1.7f, x, OFF, want, OFF);
        ElementwiseSimd.scale(n, -1.7f, x, OFF, got, OFF);
        assertArrayEquals(want, got, "scale");

        ElementwiseScalar.fill(n, 3.25f, want, OFF);
        ElementwiseSimd.fill(n, 3.25f, got, OFF);
        assertArrayEquals(want, got, "fill");

        // One fused multiply-add per element in both bodies: bit for bit.
        System.arraycopy(g, 0, want, 0, want.length);
        System.arraycopy(g, 0, got, 0, got.length);
        ElementwiseScalar.axpy(n, -0.37f, x, OFF, want, OFF);
        ElementwiseSimd.axpy(n, -0.37f, x, OFF, got, OFF);
        assertArrayEquals(want, got, "axpy");
        for (int i = 0; i < OFF; i++) assertEquals(g[i], got[i], "axpy wrote before the offset");

        ElementwiseScalar.step(n, 0.5f, x, OFF, want, OFF);
        ElementwiseSimd.step(n, 0.5f, x, OFF, got, OFF);
        assertArrayEquals(want, got, "step");

        ElementwiseScalar.reluBackward(n, g, OFF, x, OFF, want, OFF);
        ElementwiseSimd.reluBackward(n, g, OFF, x, OFF, got, OFF);
        assertArrayEquals(want, got, "reluBackward");
    }
}
