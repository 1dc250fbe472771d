package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of {@link Reductions}. A reduced row keeps several lane-wise partial sums, so its rounding
 * differs from the sequential scalar twin by a few ulp of the total (maxima are exact); rows accumulated into a
 * row add row after row, as the twin does, bit for bit. Sum or max is chosen by a loop-invariant flag, which
 * C2 unswitches.
 */
final class ReductionsSimd {
    private ReductionsSimd() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    static float reduceRow(boolean max, int n, float[] x, int xi) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.broadcast(F, max ? Float.NEGATIVE_INFINITY : 0f);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xi + i);
            acc = max ? acc.max(v) : acc.add(v);
        }
        // Each call with a constant operator: a variable one is not intrinsified (and boxes).
        float r = max ? acc.reduceLanes(VectorOperators.MAX) : acc.reduceLanes(VectorOperators.ADD);
        if (max) for (; i < n; i++) r = Math.max(r, x[xi + i]);
        else for (; i < n; i++) r += x[xi + i];
        return r;
    }

    static void reduceRows(boolean max, int rows, int cols, float[] x, int xi, int rowStride, float[] out, int oi) {
        int bound = F.loopBound(cols), step = F.length();
        int j = 0;
        // Down the columns four vectors wide: every row adds a contiguous slice to four independent sums, so
        // the adds overlap instead of waiting on one another's latency (one vector wide, a 128 x 500 bias
        // gradient took 11 us). Each column still accumulates row after row, as in the scalar twin.
        for (; j + 4 * step <= bound; j += 4 * step) {
            FloatVector s0 = FloatVector.fromArray(F, out, oi + j), s1 = FloatVector.fromArray(F, out, oi + j + step);
            FloatVector s2 = FloatVector.fromArray(F, out, oi + j + 2 * step), s3 = FloatVector.fromArray(F, out, oi + j + 3 * step);
            for (int i = 0, at = xi + j; i < rows; i++, at += rowStride) {
                FloatVector v0 = FloatVector.fromArray(F, x, at), v1 = FloatVector.fromArray(F, x, at + step);
                FloatVector v2 = FloatVector.fromArray(F, x, at + 2 * step), v3 = FloatVector.fromArray(F, x, at + 3 * step);
                s0 = max ? s0.max(v0) : s0.add(v0);
                s1 = max ? s1.max(v1) : s1.add(v1);
                s2 = max ? s2.max(v2) : s2.add(v2);
                s3 = max ? s3.max(v3) : s3.add(v3);
            }
            s0.intoArray(out, oi + j);
            s1.intoArray(out, oi + j + step);
            s2.intoArray(out, oi + j + 2 * step);
            s3.intoArray(out, oi + j + 3 * step);
        }
        for (; j < bound; j += step) {
            FloatVector acc = FloatVector.fromArray(F, out, oi + j);
            for (int i = 0, at = xi + j; i < rows; i++, at += rowStride) {
                FloatVector v = FloatVector.fromArray(F, x, at);
                acc = max ? acc.max(v) : acc.add(v);
            }
            acc.intoArray(out, oi + j);
        }
        if (j < cols) ReductionsScalar.reduceRows(max, rows, cols - j, x, xi + j, rowStride, out, oi + j);
    }

    static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }
}
