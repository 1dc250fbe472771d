package org.panagrad.kernels;

/** Plain-loop twins of {@link Elementwise}. */
public final class ElementwiseScalar {
    private ElementwiseScalar() {}

    public static void binary(BinaryOp op, int rows, int cols,
                              float[] a, int aOff, int aRowStride, int aColStride,
                              float[] b, int bOff, int bRowStride, int bColStride,
                              float[] out, int outOff) {
        for (int i = 0; i < rows; i++) {
            int ai = aOff + i * aRowStride, bi = bOff + i * bRowStride, oi = outOff + i * cols;
            for (int j = 0; j < cols; j++) {
                out[oi + j] = op.apply(a[ai + j * aColStride], b[bi + j * bColStride]);
            }
        }
    }

    public static void unary(UnaryOp op, int n, float[] x, int xOff, float[] out, int outOff) {
        for (int i = 0; i < n; i++) out[outOff + i] = op.apply(x[xOff + i]);
    }

    public static void scale(int n, float c, float[] x, int xOff, float[] out, int outOff) {
        for (int i = 0; i < n; i++) out[outOff + i] = c * x[xOff + i];
    }

    public static void axpy(int n, float a, float[] x, int xOff, float[] y, int yOff) {
        for (int i = 0; i < n; i++) y[yOff + i] = Math.fma(a, x[xOff + i], y[yOff + i]);
    }

    public static void fill(int n, float value, float[] out, int outOff) {
        for (int i = 0; i < n; i++) out[outOff + i] = value;
    }

    public static void step(int n, float atZero, float[] x, int xOff, float[] out, int outOff) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v > 0f ? 1f : v == 0f ? atZero : 0f;
        }
    }

    public static void reluBackward(int n, float[] g, int gOff, float[] y, int yOff, float[] out, int outOff) {
        for (int i = 0; i < n; i++) out[outOff + i] = y[yOff + i] > 0f ? g[gOff + i] : 0f;
    }
}
