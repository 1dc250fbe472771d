package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of {@link Elementwise}: a vector loop over full vectors, then a scalar tail. Every op has
 * a loop of its own and no method takes or returns a vector (see {@link VectorMath} for why).
 */
final class ElementwiseSimd {
    private ElementwiseSimd() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    static void binary(BinaryOp op, int rows, int cols,
                       float[] a, int aOff, int aRowStride, int aColStride,
                       float[] b, int bOff, int bRowStride, int bColStride,
                       float[] out, int outOff) {
        // Dense operands are one long row: one loop, one tail.
        if (aColStride == 1 && bColStride == 1 && aRowStride == cols && bRowStride == cols) {
            binaryRow(op, rows * cols, a, aOff, 1, b, bOff, 1, out, outOff);
            return;
        }
        for (int i = 0; i < rows; i++) {
            binaryRow(op, cols, a, aOff + i * aRowStride, aColStride, b, bOff + i * bRowStride, bColStride,
                    out, outOff + i * cols);
        }
    }

    /** One row; a column stride of 0 broadcasts that operand's single element along the row. */
    private static void binaryRow(BinaryOp op, int n, float[] a, int ai, int aStride, float[] b, int bi, int bStride,
                                  float[] out, int oi) {
        // Other strides (rare: strided views) go element by element.
        int bound = (aStride == 0 || aStride == 1) && (bStride == 0 || bStride == 1) ? F.loopBound(n) : 0;
        int j;
        switch (op) {
            case ADD: j = add(bound, a, ai, aStride, b, bi, bStride, out, oi); break;
            case SUB: j = sub(bound, a, ai, aStride, b, bi, bStride, out, oi); break;
            case MUL: j = mul(bound, a, ai, aStride, b, bi, bStride, out, oi); break;
            case DIV: j = div(bound, a, ai, aStride, b, bi, bStride, out, oi); break;
            default: j = max(bound, a, ai, aStride, b, bi, bStride, out, oi); break;
        }
        for (; j < n; j++) out[oi + j] = op.apply(a[ai + j * aStride], b[bi + j * bStride]);
    }

    // One loop per op. A stride of 0 broadcasts: the test is loop-invariant, so C2 unswitches the loop on it.

    private static int add(int bound, float[] a, int ai, int as, float[] b, int bi, int bs, float[] out, int oi) {
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector x = as == 0 ? FloatVector.broadcast(F, a[ai]) : FloatVector.fromArray(F, a, ai + j);
            FloatVector y = bs == 0 ? FloatVector.broadcast(F, b[bi]) : FloatVector.fromArray(F, b, bi + j);
            x.add(y).intoArray(out, oi + j);
        }
        return j;
    }

    private static int sub(int bound, float[] a, int ai, int as, float[] b, int bi, int bs, float[] out, int oi) {
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector x = as == 0 ? FloatVector.broadcast(F, a[ai]) : FloatVector.fromArray(F, a, ai + j);
            FloatVector y = bs == 0 ? FloatVector.broadcast(F, b[bi]) : FloatVector.fromArray(F, b, bi + j);
            x.sub(y).intoArray(out, oi + j);
        }
        return j;
    }

    private static int mul(int bound, float[] a, int ai, int as, float[] b, int bi, int bs, float[] out, int oi) {
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector x = as == 0 ? FloatVector.broadcast(F, a[ai]) : FloatVector.fromArray(F, a, ai + j);
            FloatVector y = bs == 0 ? FloatVector.broadcast(F, b[bi]) : FloatVector.fromArray(F, b, bi + j);
            x.mul(y).intoArray(out, oi + j);
        }
        return j;
    }

    private static int div(int bound, float[] a, int ai, int as, float[] b, int bi, int bs, float[] out, int oi) {
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector x = as == 0 ? FloatVector.broadcast(F, a[ai]) : FloatVector.fromArray(F, a, ai + j);
            FloatVector y = bs == 0 ? FloatVector.broadcast(F, b[bi]) : FloatVector.fromArray(F, b, bi + j);
            x.div(y).intoArray(out, oi + j);
        }
        return j;
    }

    private static int max(int bound, float[] a, int ai, int as, float[] b, int bi, int bs, float[] out, int oi) {
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector x = as == 0 ? FloatVector.broadcast(F, a[ai]) : FloatVector.fromArray(F, a, ai + j);
            FloatVector y = bs == 0 ? FloatVector.broadcast(F, b[bi]) : FloatVector.fromArray(F, b, bi + j);
            x.max(y).intoArray(out, oi + j);
        }
        return j;
    }

    /** Like {@link #binaryRow}: the op chosen once, before the loop. */
    static void unary(UnaryOp op, int n, float[] x, int xOff, float[] out, int outOff) {
        switch (op) {
            case NEG: neg(n, x, xOff, out, outOff); break;
            case EXP: VectorMath.exp(n, 1f, 0f, x, xOff, out, outOff); break;
            case LOG: VectorMath.log(n, x, xOff, out, outOff); break;
            case TANH: VectorMath.tanh(n, x, xOff, out, outOff); break;
            case SIGMOID: VectorMath.sigmoid(n, x, xOff, out, outOff); break;
            default: relu(n, x, xOff, out, outOff); break;
        }
    }

    private static void neg(int n, float[] x, int xOff, float[] out, int outOff) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xOff + i).neg().intoArray(out, outOff + i);
        for (; i < n; i++) out[outOff + i] = -x[xOff + i];
    }

    private static void relu(int n, float[] x, int xOff, float[] out, int outOff) {
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            // Not max(v, 0): that keeps NaN, while the scalar twin maps NaN to 0.
            zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = x[xOff + i] > 0f ? x[xOff + i] : 0f;
    }

    static void scale(int n, float c, float[] x, int xOff, float[] out, int outOff) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).mul(c).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = c * x[xOff + i];
    }

    static void axpy(int n, float a, float[] x, int xOff, float[] y, int yOff) {
        FloatVector av = FloatVector.broadcast(F, a);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).fma(av, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(a, x[xOff + i], y[yOff + i]);
    }

    static void fill(int n, float value, float[] out, int outOff) {
        FloatVector v = FloatVector.broadcast(F, value);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) v.intoArray(out, outOff + i);
        for (; i < n; i++) out[outOff + i] = value;
    }

    static void step(int n, float atZero, float[] x, int xOff, float[] out, int outOff) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector middle = FloatVector.broadcast(F, atZero);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            zero.blend(middle, v.compare(VectorOperators.EQ, 0f))
                    .blend(one, v.compare(VectorOperators.GT, 0f))
                    .intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v > 0f ? 1f : v == 0f ? atZero : 0f;
        }
    }

    static void reluBackward(int n, float[] g, int gOff, float[] y, int yOff, float[] out, int outOff) {
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            // Alive where y > 0: a NaN y kills the gradient, as in the scalar twin.
            VectorMask<Float> alive = FloatVector.fromArray(F, y, yOff + i).compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromArray(F, g, gOff + i), alive).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = y[yOff + i] > 0f ? g[gOff + i] : 0f;
    }
}
