package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.broadcastStrides;
import static org.panagrad.kernels.KernelTestSupport.numel;
import static org.panagrad.kernels.KernelTestSupport.offsets;
import static org.panagrad.kernels.KernelTestSupport.random;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ElementwiseTest {
    static java.util.stream.IntStream sizes() {
        return KernelTestSupport.sizes();
    }

    private static final int OFF = 5; // a non-zero, non-aligned offset for every operand

    /** An output shape and the shapes of operands broadcast to it, around the size n. */
    private record Pattern(int[] out, int[]... operands) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(Arrays.toString(out));
            for (int[] o : operands) sb.append(" <- ").append(Arrays.toString(o));
            return sb.toString();
        }
    }

    /** Dense, bias rows, columns, scalars, and rank-3/4 broadcasts with n on every axis in turn. */
    private static List<Pattern> patterns(int n) {
        List<Pattern> ps = new ArrayList<>();
        int[] m = {3, n};
        for (int[][] ab : new int[][][] {{m, m}, {m, {n}}, {m, {3, 1}}, {m, {}}, {{1, n}, m}, {{3, 1}, {1, n}}}) {
            ps.add(new Pattern(new int[] {3, n}, ab[0], ab[1], ab[1]));
        }
        ps.add(new Pattern(new int[] {2, n, 3, 5}, new int[] {2, n, 3, 5}, new int[] {n, 1, 1}, new int[] {5}));
        ps.add(new Pattern(new int[] {n, 3, 7, 2}, new int[] {n, 3, 1, 2}, new int[] {1, 3, 7, 1}, new int[] {n, 1, 7, 2}));
        ps.add(new Pattern(new int[] {3, 7, n}, new int[] {7, 1}, new int[] {3, 1, n}, new int[] {1, 1, 1}));
        return ps;
    }

    private static Strided layout(Pattern p, int operands) {
        int[][] strides = new int[operands][];
        for (int k = 0; k < operands; k++) strides[k] = broadcastStrides(p.operands()[k], p.out());
        return Strided.elementwise(p.out(), strides);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void binaryWalksEveryBroadcastPatternAsTheNaiveLoopAndTheTwinsAgree(int n) {
        Random rnd = new Random(n);
        for (Pattern p : patterns(n)) {
            int size = numel(p.out());
            float[] a = random(rnd, OFF + numel(p.operands()[0]), 0.5f, 2f), b = random(rnd, OFF + numel(p.operands()[1]), 0.5f, 2f);
            int[] ia = offsets(p.out(), broadcastStrides(p.operands()[0], p.out()));
            int[] ib = offsets(p.out(), broadcastStrides(p.operands()[1], p.out()));
            Strided s = layout(p, 2);
            for (BinaryOp op : BinaryOp.values()) {
                float[] naive = new float[OFF + size], scalar = new float[OFF + size], simd = new float[OFF + size];
                for (int i = 0; i < size; i++) naive[OFF + i] = op.apply(a[OFF + ia[i]], b[OFF + ib[i]]);
                Elementwise.binary(false, op, s, 0, a, OFF, b, OFF, scalar, OFF);
                Elementwise.binary(true, op, s, 0, a, OFF, b, OFF, simd, OFF);
                assertArrayEquals(naive, scalar, op + " scalar " + p + " as " + s);
                assertArrayEquals(naive, simd, op + " simd " + p + " as " + s);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void rowsWithOtherStridesGoElementByElement(int n) {
        Random rnd = new Random(n);
        float[] a = random(rnd, OFF + 3 * n, -1f, 1f), b = random(rnd, OFF + n, -1f, 1f);
        for (BinaryOp op : BinaryOp.values()) {
            float[] want = new float[OFF + n], got = new float[OFF + n];
            ElementwiseScalar.binaryRow(op, n, a, OFF, 3, b, OFF, 1, want, OFF);
            ElementwiseSimd.binaryRow(op, n, a, OFF, 3, b, OFF, 1, got, OFF);
            assertArrayEquals(want, got, op + " with stride 3");
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void selectAndBroadcastWalkEveryPattern(int n) {
        Random rnd = new Random(n);
        for (Pattern p : patterns(n)) {
            int size = numel(p.out());
            float[] m = new float[OFF + numel(p.operands()[0])];
            for (int i = OFF; i < m.length; i++) m[i] = rnd.nextBoolean() ? 1f : 0f;
            float[] a = random(rnd, OFF + numel(p.operands()[1]), -1f, 1f), b = random(rnd, OFF + numel(p.operands()[2]), -1f, 1f);
            int[] im = offsets(p.out(), broadcastStrides(p.operands()[0], p.out()));
            int[] ia = offsets(p.out(), broadcastStrides(p.operands()[1], p.out()));
            int[] ib = offsets(p.out(), broadcastStrides(p.operands()[2], p.out()));
            Strided s = layout(p, 3);
            float[] naive = new float[OFF + size], scalar = new float[OFF + size], simd = new float[OFF + size];
            for (int i = 0; i < size; i++) naive[OFF + i] = m[OFF + im[i]] != 0f ? a[OFF + ia[i]] : b[OFF + ib[i]];
            Elementwise.select(false, s, 0, m, OFF, a, OFF, b, OFF, scalar, OFF);
            Elementwise.select(true, s, 0, m, OFF, a, OFF, b, OFF, simd, OFF);
            assertArrayEquals(naive, scalar, "select scalar " + p);
            assertArrayEquals(naive, simd, "select simd " + p);

            Strided e = Strided.elementwise(p.out(), broadcastStrides(p.operands()[1], p.out()));
            for (int i = 0; i < size; i++) naive[OFF + i] = a[OFF + ia[i]];
            Elementwise.broadcast(false, e, 0, a, OFF, scalar, OFF);
            Elementwise.broadcast(true, e, 0, a, OFF, simd, OFF);
            assertArrayEquals(naive, scalar, "broadcast scalar " + p);
            assertArrayEquals(naive, simd, "broadcast simd " + p);
        }
    }

    @Test
    void adjacentAxesThatStepTogetherCollapse() {
        // The benchmark's bias add: [32, 64, 14, 14] + [64, 1, 1] walks 2048 rows of 196.
        int[] out = {32, 64, 14, 14};
        Strided s = Strided.elementwise(out, broadcastStrides(out, out), broadcastStrides(new int[] {64, 1, 1}, out));
        assertEquals("[32x64x196] strides [12544,196,1] [12544,196,1] [0,1,0]", s.toString());
        // Dense operands are one row; size-1 axes vanish; a scalar is a single element.
        assertEquals("[6] strides [1] [1]", Strided.elementwise(new int[] {2, 1, 3}, new int[] {3, 3, 1}).toString());
        assertEquals("[1] strides [0] [0]", Strided.elementwise(new int[] {}, new int[] {}).toString());
        // A reduction of [N, C, H, W] over N, H, W: reduced, kept, reduced.
        assertEquals("[2x3x20] strides [60,20,1] [0,1,0]", Strided.reduction(new int[] {2, 3, 4, 5}, 0b1101).toString());
    }

    @Test
    void binaryInPlace() {
        Random rnd = new Random(1);
        float[] a = random(rnd, 100, -1f, 1f), b = random(rnd, 100, -1f, 1f);
        float[] want = new float[100];
        Strided s = Strided.elementwise(new int[] {10, 10}, new int[] {10, 1}, new int[] {10, 1});
        Elementwise.binary(false, BinaryOp.ADD, s, 0, a, 0, b, 0, want, 0);
        Elementwise.binary(true, BinaryOp.ADD, s, 0, a, 0, b, 0, a, 0);
        assertArrayEquals(want, a);
    }

    /** The input range each op is tested on: positive where it needs to be. */
    private static float[] inputFor(UnaryOp op, float[] any, float[] positive) {
        return switch (op) {
            case LOG, SQRT, RSQRT -> positive;
            case NEG, EXP, TANH, SIGMOID, RELU, ABS, SIGN, SOFTPLUS, ERF, GELU, GELU_TANH, GELU_SLOPE, GELU_CURVATURE -> any;
        };
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void unaryMatchesScalar(int n) {
        Random rnd = new Random(n);
        float[] x = random(rnd, OFF + n, -12f, 12f);
        for (int i = OFF; i < OFF + n; i += 5) x[i] = 0f;
        float[] positive = random(rnd, OFF + n, 1e-6f, 50f);
        for (UnaryOp op : UnaryOp.values()) {
            float[] in = inputFor(op, x, positive);
            float[] want = new float[OFF + n], got = new float[OFF + n];
            ElementwiseScalar.unary(op, n, in, OFF, want, OFF);
            ElementwiseSimd.unary(op, n, in, OFF, got, OFF);
            // exp/log/tanh/sigmoid/softplus are polynomial approximations: a few ulp apart from Math.*
            assertClose(want, got, 2e-6f, 1e-7f, op.toString());
        }
    }

    /**
     * VectorMath's documented accuracy for erf and both GELUs, densely over [-10, 10]: 2e-6 relative, plus in the
     * tails 2e-7 per unit of the exponent e^-z they take (z = x^2, x^2 / 2, 2|u|), the float rounding of z.
     */
    @Test
    void erfAndGeluAccuracy() {
        int n = 40_001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -10f + i * 5e-4f;
        for (UnaryOp op : new UnaryOp[] {UnaryOp.ERF, UnaryOp.GELU, UnaryOp.GELU_TANH}) {
            float[] want = new float[n], got = new float[n];
            ElementwiseScalar.unary(op, n, x, 0, want, 0);
            ElementwiseSimd.unary(op, n, x, 0, got, 0);
            for (int i = 0; i < n; i++) {
                double v = x[i], z = op == UnaryOp.ERF ? v * v : op == UnaryOp.GELU ? v * v / 2
                        : 2 * Math.sqrt(2 / Math.PI) * Math.abs(v + 0.044715 * v * v * v);
                double tol = (2e-6 + 2e-7 * z) * Math.abs(want[i]) + 1e-37;
                assertEquals(want[i], got[i], tol, op + " at " + x[i]);
            }
        }
    }

    /**
     * The exact GELU's slope and curvature against their float64 formulas, densely over [-10, 10]: 2e-6 of the
     * magnitudes summed (the slope's two terms cancel near x = -0.75), plus 2e-7 per unit of x^2 / 2 (the float
     * rounding of the density's exponent); and their limits at the infinities.
     */
    @Test
    void geluSlopeAndCurvatureAccuracy() {
        int n = 40_001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -10f + i * 5e-4f;
        float[] slope = new float[n], curvature = new float[n];
        ElementwiseSimd.unary(UnaryOp.GELU_SLOPE, n, x, 0, slope, 0);
        ElementwiseSimd.unary(UnaryOp.GELU_CURVATURE, n, x, 0, curvature, 0);
        for (int i = 0; i < n; i++) {
            double v = x[i], z = v * v / 2, density = Math.exp(-z) / Math.sqrt(2 * Math.PI);
            double cdf = 0.5 * org.apache.commons.math3.special.Erf.erfc(-v / Math.sqrt(2));
            double tol = 2e-6 + 2e-7 * z;
            assertEquals(cdf + v * density, slope[i], tol * (cdf + Math.abs(v * density)) + 1e-37, "slope at " + x[i]);
            assertEquals(density * (2 - v * v), curvature[i], tol * Math.abs(density * (2 - v * v)) + 1e-37, "curvature at " + x[i]);
        }
        float[] ends = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -1e30f, 1e30f}, got = new float[ends.length];
        ElementwiseSimd.unary(UnaryOp.GELU_SLOPE, ends.length, ends, 0, got, 0);
        assertArrayEquals(new float[] {0f, 1f, 0f, 1f}, got, 1e-30f, "slope at the ends");
        ElementwiseSimd.unary(UnaryOp.GELU_CURVATURE, ends.length, ends, 0, got, 0);
        assertArrayEquals(new float[] {0f, 0f, 0f, 0f}, got, 1e-30f, "curvature at the ends");
    }

    @Test
    void unaryEdgeValues() {
        float[] x = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -200f, 200f, 1e-40f,
                -1e-40f, 88.7f, -87.5f, -103f, 1e-30f, 0.6f, -0.65f, 9.5f, 20f, -20f, 30f, -30f, 1e-8f, -17f};
        for (UnaryOp op : UnaryOp.values()) {
            float[] want = new float[x.length], got = new float[x.length];
            ElementwiseScalar.unary(op, x.length, x, 0, want, 0);
            ElementwiseSimd.unary(op, x.length, x, 0, got, 0);
            assertClose(want, got, 3e-6f, 2e-45f, op + " on edge values");
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void powMatchesScalar(int n) {
        Random rnd = new Random(n);
        float[] x = random(rnd, OFF + n, -3f, 3f), positive = random(rnd, OFF + n, 1e-3f, 20f);
        positive[OFF] = 0f;
        for (float p : new float[] {0f, 1f, 2f, 3f, -1f, -2f, 7f, 0.5f, -0.5f, 2.5f, 1f / 3, -1.5f}) {
            float[] in = Elementwise.integerExponent(p) ? x : positive;
            float[] want = new float[OFF + n], got = new float[OFF + n];
            ElementwiseScalar.pow(n, p, in, OFF, want, OFF);
            ElementwiseSimd.pow(n, p, in, OFF, got, OFF);
            if (Elementwise.integerExponent(p) || Math.abs(p) == 0.5f) assertArrayEquals(want, got, "pow " + p);
            else assertClose(want, got, 4e-6f, 1e-30f, "pow " + p); // e^(p log x) against Math.pow
            for (int i = 0; i < n; i++) {
                double exact = Math.pow(in[OFF + i], p);
                assertEquals(exact, want[OFF + i], 2e-6 * Math.abs(exact) + 1e-30, "pow " + p + " of " + in[OFF + i]);
            }
        }
    }

    /**
     * Elementwise.scale's entry point: scalar below a chunk, vector chunks above (the last one short), in place too;
     * every element as the scalar twin computes it.
     */
    @Test
    void scaleInChunksMatchesScalarAroundTheChunk() {
        int chunk = Elementwise.SCALE_CHUNK;
        Random rnd = new Random(7);
        for (int n : new int[] {0, 1, 40, chunk - 1, chunk, chunk + 1, Elementwise.SCALE_ON_VECTORS_FROM - 1, Elementwise.SCALE_ON_VECTORS_FROM, 2 * chunk + 17, 5 * chunk + 17}) {
            float[] x = random(rnd, OFF + n + 3, -1f, 1f);
            float[] want = new float[OFF + n + 3], got = new float[OFF + n + 3];
            ElementwiseScalar.scale(n, 0.37f, x, OFF, want, OFF);
            Elementwise.scale(n, 0.37f, x, OFF, got, OFF);
            assertArrayEquals(want, got, "scale of " + n);
            float[] inPlace = x.clone();
            Elementwise.scale(n, 0.37f, inPlace, OFF, inPlace, OFF);
            for (int i = 0; i < inPlace.length; i++) {
                assertEquals(i >= OFF && i < OFF + n ? want[i] : x[i], inPlace[i], "scale of " + n + " in place, element " + i);
            }
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
