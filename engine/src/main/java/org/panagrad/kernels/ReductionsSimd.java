package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of {@link Reductions}. A reduced row keeps several lane-wise partial sums, so its rounding
 * differs from the sequential scalar twin by a few ulp of the total (maxima are exact); rows accumulated into a
 * row add row after row, as the twin does, bit for bit.
 */
final class ReductionsSimd {
    private ReductionsSimd() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    static float reduceRow(boolean max, int n, float[] x, int xi) {
        return max ? maxRow(n, x, xi) : sumRow(n, x, xi);
    }

    static void reduceRows(boolean max, int rows, int cols, float[] x, int xi, int rowStride, float[] out, int oi) {
        int j = max ? maxRows(rows, cols, x, xi, rowStride, out, oi) : sumRows(rows, cols, x, xi, rowStride, out, oi);
        if (j < cols) ReductionsScalar.reduceRows(max, rows, cols - j, x, xi + j, rowStride, out, oi + j);
    }

    // Sums and maxima have loops of their own rather than one loop choosing per vector: a vector merged from
    // two branches is boxed wherever C2 does not unswitch the loop, and one loop carrying both compiles to
    // twice the code, which on two cores delays the compilation of everything else (the GEMM kernels) while
    // a program warms up.

    private static float sumRow(int n, float[] x, int xi) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += F.length()) acc = acc.add(FloatVector.fromArray(F, x, xi + i));
        // The tree written out with the Vector API's own calls (as VectorMath's exp), no method of ours taking the
        // vector: on JDK 25 C2 now and then left LaneSum.tree as a call here (not inlined) and boxed the sum
        // on every row of an HVP (AdaHessianTest: 6,144 B per step, session 14's fresh-clone CI).
        FloatVector lanes = acc;
        float r;
        if (LaneSum.ORDERED_REDUCTION) {
            r = lanes.reduceLanes(VectorOperators.ADD);
        } else {
            if (LaneSum.D8 != null) lanes = lanes.add(lanes.rearrange(LaneSum.D8));
            lanes = lanes.add(lanes.rearrange(LaneSum.D4));
            lanes = lanes.add(lanes.rearrange(LaneSum.D2));
            r = lanes.add(lanes.rearrange(LaneSum.D1)).lane(0);
        }
        for (; i < n; i++) r += x[xi + i];
        return r;
    }

    private static float maxRow(int n, float[] x, int xi) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += F.length()) acc = acc.max(FloatVector.fromArray(F, x, xi + i));
        float r = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, x[xi + i]);
        return r;
    }

    /**
     * out[j] += rows of x for the columns the vector loops cover; returns where they stopped. Down the columns
     * four vectors wide: every row adds a contiguous slice to four independent sums, so the adds overlap
     * instead of waiting on one another's latency (one vector wide, a 128 x 500 bias gradient took 11 us).
     * Each column still accumulates row after row, as in the scalar twin.
     */
    private static int sumRows(int rows, int cols, float[] x, int xi, int rowStride, float[] out, int oi) {
        int bound = F.loopBound(cols), step = F.length();
        int j = 0;
        for (; j + 4 * step <= bound; j += 4 * step) {
            FloatVector s0 = FloatVector.fromArray(F, out, oi + j), s1 = FloatVector.fromArray(F, out, oi + j + step);
            FloatVector s2 = FloatVector.fromArray(F, out, oi + j + 2 * step), s3 = FloatVector.fromArray(F, out, oi + j + 3 * step);
            for (int i = 0, at = xi + j; i < rows; i++, at += rowStride) {
                s0 = s0.add(FloatVector.fromArray(F, x, at));
                s1 = s1.add(FloatVector.fromArray(F, x, at + step));
                s2 = s2.add(FloatVector.fromArray(F, x, at + 2 * step));
                s3 = s3.add(FloatVector.fromArray(F, x, at + 3 * step));
            }
            s0.intoArray(out, oi + j);
            s1.intoArray(out, oi + j + step);
            s2.intoArray(out, oi + j + 2 * step);
            s3.intoArray(out, oi + j + 3 * step);
        }
        for (; j < bound; j += step) {
            FloatVector acc = FloatVector.fromArray(F, out, oi + j);
            for (int i = 0, at = xi + j; i < rows; i++, at += rowStride) acc = acc.add(FloatVector.fromArray(F, x, at));
            acc.intoArray(out, oi + j);
        }
        return j;
    }

    /** out[j] = max(out[j], rows of x): maxima are exact in any order, so one vector wide suffices. */
    private static int maxRows(int rows, int cols, float[] x, int xi, int rowStride, float[] out, int oi) {
        int bound = F.loopBound(cols), step = F.length();
        int j = 0;
        for (; j < bound; j += step) {
            FloatVector acc = FloatVector.fromArray(F, out, oi + j);
            for (int i = 0, at = xi + j; i < rows; i++, at += rowStride) acc = acc.max(FloatVector.fromArray(F, x, at));
            acc.intoArray(out, oi + j);
        }
        return j;
    }

    static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), acc);
        }
        FloatVector lanes = acc;
        float s;
        if (LaneSum.ORDERED_REDUCTION) {
            s = lanes.reduceLanes(VectorOperators.ADD);
        } else {
            if (LaneSum.D8 != null) lanes = lanes.add(lanes.rearrange(LaneSum.D8));
            lanes = lanes.add(lanes.rearrange(LaneSum.D4));
            lanes = lanes.add(lanes.rearrange(LaneSum.D2));
            s = lanes.add(lanes.rearrange(LaneSum.D1)).lane(0);
        }
        for (; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }
}
