package org.panagrad.kernels;

/** Sums and dot products over dense row-major blocks. */
public final class Reductions {
    private Reductions() {}

    /** out[j] = sum over i of x[i][j]: the bias gradient, a column sum. */
    public static void sumOverRows(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        if (Simd.ENABLED) ReductionsSimd.sumOverRows(rows, cols, x, xOff, out, outOff);
        else ReductionsScalar.sumOverRows(rows, cols, x, xOff, out, outOff);
    }

    /** out[i] = sum over j of x[i][j]. */
    public static void sumOverCols(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        if (Simd.ENABLED) ReductionsSimd.sumOverCols(rows, cols, x, xOff, out, outOff);
        else ReductionsScalar.sumOverCols(rows, cols, x, xOff, out, outOff);
    }

    public static float sum(int n, float[] x, int xOff) {
        return Simd.ENABLED ? ReductionsSimd.sum(n, x, xOff)
                : ReductionsScalar.sum(n, x, xOff);
    }

    public static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
        return Simd.ENABLED ? ReductionsSimd.dot(n, x, xOff, y, yOff)
                : ReductionsScalar.dot(n, x, xOff, y, yOff);
    }
}
