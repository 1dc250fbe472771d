package org.panagrad.kernels;

import java.util.Arrays;

/**
 * Sums and maxima over any set of axes, on a {@link Strided#reduction} index space (operand 0 the dense input,
 * operand 1 the output, stride 0 along the reduced axes), and dot products. Collapsed, the axes alternate
 * between reduced and kept. The walk ends in one of two shapes: the innermost axis reduced (a row reduced to one
 * element: the log-sum-exp of a row, a full sum) or the innermost axis kept under a reduced one (rows added into
 * one row: a bias gradient). Every output element accumulates its inputs in the input's order, except within a
 * reduced innermost row, where SIMD keeps lane-wise partial sums.
 */
public final class Reductions {
    private Reductions() {}

    public static void sum(Strided s, float[] x, int xOff, float[] out, int outOff) {
        reduce(Simd.ENABLED, false, s, x, xOff, out, outOff);
    }

    /** Maxima; NaN wins, as in Math.max. */
    public static void max(Strided s, float[] x, int xOff, float[] out, int outOff) {
        reduce(Simd.ENABLED, true, s, x, xOff, out, outOff);
    }

    static void reduce(boolean simd, boolean max, Strided s, float[] x, int xOff, float[] out, int outOff) {
        Arrays.fill(out, outOff, outOff + s.extent(1), max ? Float.NEGATIVE_INFINITY : 0f);
        walk(simd, max, s, 0, x, xOff, out, outOff);
    }

    private static void walk(boolean simd, boolean max, Strided s, int axis, float[] x, int xi, float[] out, int oi) {
        int n = s.dim(axis), xs = s.stride(0, axis), os = s.stride(1, axis), last = s.rank() - 1;
        if (axis == last && os == 0) {
            float r = simd ? ReductionsSimd.reduceRow(max, n, x, xi) : ReductionsScalar.reduceRow(max, n, x, xi);
            out[oi] = max ? Math.max(out[oi], r) : out[oi] + r;
        } else if (axis == last || (axis == last - 1 && os == 0)) {
            // Rows (one, when nothing is reduced) accumulated into one output row.
            int rows = axis == last ? 1 : n, cols = s.dim(last);
            if (simd) ReductionsSimd.reduceRows(max, rows, cols, x, xi, xs, out, oi);
            else ReductionsScalar.reduceRows(max, rows, cols, x, xi, xs, out, oi);
        } else {
            for (int i = 0; i < n; i++, xi += xs, oi += os) walk(simd, max, s, axis + 1, x, xi, out, oi);
        }
    }

    /** The sum of n contiguous elements. */
    public static float sum(int n, float[] x, int xOff) {
        return Simd.ENABLED ? ReductionsSimd.reduceRow(false, n, x, xOff) : ReductionsScalar.reduceRow(false, n, x, xOff);
    }

    public static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
        return Simd.ENABLED ? ReductionsSimd.dot(n, x, xOff, y, yOff) : ReductionsScalar.dot(n, x, xOff, y, yOff);
    }
}
