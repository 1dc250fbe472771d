package org.panagrad.kernels;

/** Plain-loop twins of {@link Reductions}. Accumulation is in float, as in the SIMD bodies. */
public final class ReductionsScalar {
    private ReductionsScalar() {}

    public static void sumOverRows(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        for (int j = 0; j < cols; j++) out[outOff + j] = 0f;
        for (int i = 0; i < rows; i++) {
            int xi = xOff + i * cols;
            for (int j = 0; j < cols; j++) out[outOff + j] += x[xi + j];
        }
    }

    public static void sumOverCols(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        for (int i = 0; i < rows; i++) {
            float s = 0f;
            int xi = xOff + i * cols;
            for (int j = 0; j < cols; j++) s += x[xi + j];
            out[outOff + i] = s;
        }
    }

    public static float sum(int n, float[] x, int xOff) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += x[xOff + i];
        return s;
    }

    public static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }
}
