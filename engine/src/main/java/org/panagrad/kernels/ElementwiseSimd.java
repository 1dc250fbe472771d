package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API bodies of {@link Elementwise}: a vector loop over full vectors, then a scalar tail. */
final class ElementwiseSimd {
    private ElementwiseSimd() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

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
        int bound = F.loopBound(n);
        int j = 0;
        if (aStride == 1 && bStride == 1) {
            for (; j < bound; j += F.length()) {
                apply(op, FloatVector.fromArray(F, a, ai + j), FloatVector.fromArray(F, b, bi + j)).intoArray(out, oi + j);
            }
        } else if (aStride == 1 && bStride == 0) {
            FloatVector vb = FloatVector.broadcast(F, b[bi]);
            for (; j < bound; j += F.length()) {
                apply(op, FloatVector.fromArray(F, a, ai + j), vb).intoArray(out, oi + j);
            }
        } else if (aStride == 0 && bStride == 1) {
            FloatVector va = FloatVector.broadcast(F, a[ai]);
            for (; j < bound; j += F.length()) {
                apply(op, va, FloatVector.fromArray(F, b, bi + j)).intoArray(out, oi + j);
            }
        }
        // Tail, and any other stride pattern (rare: strided views), element by element.
        for (; j < n; j++) out[oi + j] = op.apply(a[ai + j * aStride], b[bi + j * bStride]);
    }

    private static FloatVector apply(BinaryOp op, FloatVector x, FloatVector y) {
        switch (op) {
            case ADD: return x.add(y);
            case SUB: return x.sub(y);
            case MUL: return x.mul(y);
            case DIV: return x.div(y);
            default: return x.max(y);
        }
    }

    static void unary(UnaryOp op, int n, float[] x, int xOff, float[] out, int outOff) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            apply(op, FloatVector.fromArray(F, x, xOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = op.apply(x[xOff + i]);
    }

    private static FloatVector apply(UnaryOp op, FloatVector x) {
        switch (op) {
            case NEG: return x.neg();
            case EXP: return VectorMath.exp(x);
            case LOG: return VectorMath.log(x);
            case TANH: return VectorMath.tanh(x);
            case SIGMOID: return VectorMath.sigmoid(x);
            // Not max(x, 0): that keeps NaN, while the scalar twin maps NaN to 0.
            default: return FloatVector.zero(F).blend(x, x.compare(VectorOperators.GT, 0f));
        }
    }

    static void scale(int n, float c, float[] x, int xOff, float[] out, int outOff) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).mul(c).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = c * x[xOff + i];
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
            VectorMask<Float> dead = FloatVector.fromArray(F, y, yOff + i).compare(VectorOperators.LE, 0f);
            FloatVector.fromArray(F, g, gOff + i).blend(zero, dead).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = y[yOff + i] > 0f ? g[gOff + i] : 0f;
    }
}
