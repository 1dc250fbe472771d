package org.panagrad.kernels;

/**
 * Elementwise kernels. Binary operands are addressed as 2-D row-major views with a row and a column stride,
 * so a stride of 0 broadcasts: a bias row has row stride 0, a column vector has column stride 0.
 * The output is dense (row stride = cols). In-place use (out == an input, same offset) is allowed.
 */
public final class Elementwise {
    private Elementwise() {}

    public static void binary(BinaryOp op, int rows, int cols,
                              float[] a, int aOff, int aRowStride, int aColStride,
                              float[] b, int bOff, int bRowStride, int bColStride,
                              float[] out, int outOff) {
        if (Simd.ENABLED) ElementwiseSimd.binary(op, rows, cols, a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride,
                out, outOff);
        else ElementwiseScalar.binary(op, rows, cols, a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride,
                out, outOff);
    }

    public static void unary(UnaryOp op, int n, float[] x, int xOff, float[] out, int outOff) {
        if (Simd.ENABLED) ElementwiseSimd.unary(op, n, x, xOff, out, outOff);
        else ElementwiseScalar.unary(op, n, x, xOff, out, outOff);
    }

    /** out = c * x. */
    public static void scale(int n, float c, float[] x, int xOff, float[] out, int outOff) {
        if (Simd.ENABLED) ElementwiseSimd.scale(n, c, x, xOff, out, outOff);
        else ElementwiseScalar.scale(n, c, x, xOff, out, outOff);
    }

    /** y = a * x + y, each element one fused multiply-add (so both bodies round identically). */
    public static void axpy(int n, float a, float[] x, int xOff, float[] y, int yOff) {
        if (Simd.ENABLED) ElementwiseSimd.axpy(n, a, x, xOff, y, yOff);
        else ElementwiseScalar.axpy(n, a, x, xOff, y, yOff);
    }

    public static void fill(int n, float value, float[] out, int outOff) {
        if (Simd.ENABLED) ElementwiseSimd.fill(n, value, out, outOff);
        else ElementwiseScalar.fill(n, value, out, outOff);
    }

    /** out = 1 where x > 0, {@code atZero} where x == 0, else 0 (the derivative mask of relu and max). */
    public static void step(int n, float atZero, float[] x, int xOff, float[] out, int outOff) {
        if (Simd.ENABLED) ElementwiseSimd.step(n, atZero, x, xOff, out, outOff);
        else ElementwiseScalar.step(n, atZero, x, xOff, out, outOff);
    }

    /** out = g where y > 0 else 0: the ReLU mask applied in the backward pass, from the forward output y. */
    public static void reluBackward(int n, float[] g, int gOff, float[] y, int yOff, float[] out, int outOff) {
        if (Simd.ENABLED) ElementwiseSimd.reluBackward(n, g, gOff, y, yOff, out, outOff);
        else ElementwiseScalar.reluBackward(n, g, gOff, y, yOff, out, outOff);
    }
}
