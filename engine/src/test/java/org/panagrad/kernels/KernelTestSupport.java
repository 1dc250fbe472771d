package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.stream.IntStream;

/** Shared sizes, random data and tolerant comparison for the SIMD-vs-scalar-twin tests. */
final class KernelTestSupport {
    private KernelTestSupport() {}

    /** Sizes around every vector width boundary (8 and 16 lanes) plus a few large ones. */
    static final int[] SIZES = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 127, 129, 511, 513, 1000};

    static IntStream sizes() {
        return IntStream.of(SIZES);
    }

    static float[] random(Random rnd, int n, float lo, float hi) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = lo + (hi - lo) * rnd.nextFloat();
        return x;
    }

    /** Fails naming the first index where |expected - actual| > absTol + relTol * |expected|. */
    static void assertClose(float[] expected, float[] actual, float relTol, float absTol, String what) {
        if (expected.length != actual.length) fail(what + ": lengths differ");
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            if (Float.isNaN(e) && Float.isNaN(a)) continue;
            if (e == a) continue; // also covers equal infinities
            if (!(Math.abs(e - a) <= absTol + relTol * Math.abs(e))) {
                fail(what + ": index " + i + " expected " + e + " but was " + a);
            }
        }
    }

    /**
     * Element strides, along each axis of out, of a dense operand of the given shape broadcast to out by NumPy's
     * rule (trailing axes aligned; 0 where the operand is missing or has size 1).
     */
    static int[] broadcastStrides(int[] shape, int[] out) {
        int[] s = new int[out.length];
        int lead = out.length - shape.length, step = 1;
        for (int a = shape.length - 1; a >= 0; a--) {
            s[a + lead] = shape[a] == 1 ? 0 : step;
            step *= shape[a];
        }
        return s;
    }

    static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Offsets of every element of out (row-major) in an operand with the given strides: the naive walk. */
    static int[] offsets(int[] out, int[] strides) {
        int[] offs = new int[numel(out)], at = new int[out.length];
        for (int i = 0; i < offs.length; i++) {
            for (int a = 0; a < out.length; a++) offs[i] += at[a] * strides[a];
            for (int a = out.length - 1; a >= 0; a--) {
                if (++at[a] < out[a]) break;
                at[a] = 0;
            }
        }
        return offs;
    }
}
