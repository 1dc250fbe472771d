package org.panagrad.kernels;

/** Plain-loop twins of {@link Elementwise}'s SIMD bodies. */
public final class ElementwiseScalar {
    private ElementwiseScalar() {}

    /** One innermost row: out[j] = a[j * as] op b[j * bs]. */
    public static void binaryRow(BinaryOp op, int n, float[] a, int ai, int as, float[] b, int bi, int bs,
                                 float[] out, int oi) {
        for (int j = 0; j < n; j++) out[oi + j] = op.apply(a[ai + j * as], b[bi + j * bs]);
    }

    public static void selectRow(int n, float[] m, int mi, int ms, float[] a, int ai, int as, float[] b, int bi, int bs,
                                 float[] out, int oi) {
        for (int j = 0; j < n; j++) out[oi + j] = m[mi + j * ms] != 0f ? a[ai + j * as] : b[bi + j * bs];
    }

    public static void unary(UnaryOp op, int n, float[] x, int xOff, float[] out, int outOff) {
        for (int i = 0; i < n; i++) out[outOff + i] = op.apply(x[xOff + i]);
    }

    public static void pow(int n, float p, float[] x, int xOff, float[] out, int outOff) {
        if (p == 0.5f) {
            unary(UnaryOp.SQRT, n, x, xOff, out, outOff);
        } else if (p == -0.5f) {
            unary(UnaryOp.RSQRT, n, x, xOff, out, outOff);
        } else if (Elementwise.integerExponent(p)) {
            int e = (int) Math.abs(p);
            for (int i = 0; i < n; i++) {
                float base = x[xOff + i], r = 1f;
                for (int k = e; k != 0; k >>>= 1) {
                    if ((k & 1) != 0) r *= base;
                    base *= base;
                }
                out[outOff + i] = p < 0 ? 1f / r : r;
            }
        } else {
            for (int i = 0; i < n; i++) out[outOff + i] = (float) Math.pow(x[xOff + i], p);
        }
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
