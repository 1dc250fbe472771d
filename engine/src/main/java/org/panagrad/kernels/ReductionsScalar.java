package org.panagrad.kernels;

/** Plain-loop twins of {@link Reductions}' SIMD bodies. Accumulation is in float, as in the SIMD bodies. */
public final class ReductionsScalar {
    private ReductionsScalar() {}

    /** The sum or the maximum of n contiguous elements. */
    public static float reduceRow(boolean max, int n, float[] x, int xi) {
        float r = max ? Float.NEGATIVE_INFINITY : 0f;
        if (max) for (int j = 0; j < n; j++) r = Math.max(r, x[xi + j]);
        else for (int j = 0; j < n; j++) r += x[xi + j];
        return r;
    }

    /** out[j] = out[j] op x[0][j] op x[1][j] ... for rows of x that start rowStride apart. */
    public static void reduceRows(boolean max, int rows, int cols, float[] x, int xi, int rowStride, float[] out, int oi) {
        for (int i = 0, at = xi; i < rows; i++, at += rowStride) {
            if (max) for (int j = 0; j < cols; j++) out[oi + j] = Math.max(out[oi + j], x[at + j]);
            else for (int j = 0; j < cols; j++) out[oi + j] += x[at + j];
        }
    }

    public static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }
}
