package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of {@link Reductions}. The sums keep several lane-wise partial sums, so their rounding
 * differs from the sequential scalar twin by a few ulp of the total.
 */
final class ReductionsSimd {
    private ReductionsSimd() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    static void sumOverRows(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        int bound = F.loopBound(cols);
        int j = 0;
        // Down the columns one vector wide: every row adds a contiguous slice.
        for (; j < bound; j += F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0; i < rows; i++) acc = acc.add(FloatVector.fromArray(F, x, xOff + i * cols + j));
            acc.intoArray(out, outOff + j);
        }
        for (; j < cols; j++) {
            float s = 0f;
            for (int i = 0; i < rows; i++) s += x[xOff + i * cols + j];
            out[outOff + j] = s;
        }
    }

    static void sumOverCols(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        for (int i = 0; i < rows; i++) out[outOff + i] = sum(cols, x, xOff + i * cols);
    }

    static float sum(int n, float[] x, int xOff) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += F.length()) acc = acc.add(FloatVector.fromArray(F, x, xOff + i));
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += x[xOff + i];
        return s;
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
