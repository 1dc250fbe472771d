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

    /**
     * One innermost row: out[j] = a[j * as] op b[j * bs]. Strides of 0 (broadcast) and 1 run on vectors; other
     * strides (rare: strided views) go element by element.
     */
    static void binaryRow(BinaryOp op, int n, float[] a, int ai, int as, float[] b, int bi, int bs, float[] out, int oi) {
        int bound = unit(as) && unit(bs) ? F.loopBound(n) : 0;
        int j = binaryVectors(op, bound, a, ai, as, b, bi, bs, out, oi);
        for (; j < n; j++) out[oi + j] = op.apply(a[ai + j * as], b[bi + j * bs]);
    }

    /** A stride the vector loops take: 0 broadcasts one element, 1 is contiguous. */
    private static boolean unit(int stride) {
        return stride == 0 || stride == 1;
    }

    /**
     * The vector loop of every op, the op chosen per vector (a branch that always goes the same way). One loop for
     * all ops rather than one per op: a model's rare op (resnet8's few per-channel subtractions and divisions
     * per step) would have a method of its own that C2 neither compiles nor inlines into binaryRow for
     * thousands of steps, and its C1 code allocates a heap vector per Vector API call (12 KB per resnet8 step).
     * Shared, the loop is as hot as all binary ops together. A stride of 0 broadcasts: the test is
     * loop-invariant, so C2 unswitches the loop on it.
     */
    private static int binaryVectors(BinaryOp op, int bound, float[] a, int ai, int as, float[] b, int bi, int bs,
                                     float[] out, int oi) {
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector x = as == 0 ? FloatVector.broadcast(F, a[ai]) : FloatVector.fromArray(F, a, ai + j);
            FloatVector y = bs == 0 ? FloatVector.broadcast(F, b[bi]) : FloatVector.fromArray(F, b, bi + j);
            // Each arm stores its own result: no vector value merges across the arms.
            switch (op) {
                case ADD -> x.add(y).intoArray(out, oi + j);
                case SUB -> x.sub(y).intoArray(out, oi + j);
                case MUL -> x.mul(y).intoArray(out, oi + j);
                case DIV -> x.div(y).intoArray(out, oi + j);
                case MAX -> x.max(y).intoArray(out, oi + j);
            }
        }
        return j;
    }

    /** out[j] = m[j * ms] != 0 ? a[j * as] : b[j * bs]: where(mask, a, b) along one row. */
    static void selectRow(int n, float[] m, int mi, int ms, float[] a, int ai, int as, float[] b, int bi, int bs,
                          float[] out, int oi) {
        int bound = unit(ms) && unit(as) && unit(bs) ? F.loopBound(n) : 0;
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector mv = ms == 0 ? FloatVector.broadcast(F, m[mi]) : FloatVector.fromArray(F, m, mi + j);
            FloatVector x = as == 0 ? FloatVector.broadcast(F, a[ai]) : FloatVector.fromArray(F, a, ai + j);
            FloatVector y = bs == 0 ? FloatVector.broadcast(F, b[bi]) : FloatVector.fromArray(F, b, bi + j);
            y.blend(x, mv.compare(VectorOperators.NE, 0f)).intoArray(out, oi + j);
        }
        for (; j < n; j++) out[oi + j] = m[mi + j * ms] != 0f ? a[ai + j * as] : b[bi + j * bs];
    }

    /**
     * Like {@link #binaryRow}: the op chosen once, before the loop. Each arm returns where its vector loop
     * stopped (n for the whole-array loops of {@link VectorMath}) and the scalar twin's definition finishes.
     */
    static void unary(UnaryOp op, int n, float[] x, int xOff, float[] out, int outOff) {
        int i = switch (op) {
            case NEG -> neg(n, x, xOff, out, outOff);
            case RELU -> relu(n, x, xOff, out, outOff);
            case SQRT -> sqrt(n, x, xOff, out, outOff);
            case RSQRT -> rsqrt(n, x, xOff, out, outOff);
            case ABS -> abs(n, x, xOff, out, outOff);
            case SIGN -> sign(n, x, xOff, out, outOff);
            case EXP -> {
                VectorMath.exp(n, 1f, 0f, x, xOff, out, outOff);
                yield n;
            }
            case LOG -> {
                VectorMath.log(n, x, xOff, out, outOff);
                yield n;
            }
            case TANH -> {
                VectorMath.tanh(n, x, xOff, out, outOff);
                yield n;
            }
            case SIGMOID -> {
                VectorMath.sigmoid(n, x, xOff, out, outOff);
                yield n;
            }
            case SOFTPLUS -> {
                VectorMath.softplus(n, x, xOff, out, outOff);
                yield n;
            }
            case ERF -> {
                VectorMath.erf(n, x, xOff, out, outOff);
                yield n;
            }
            case GELU -> {
                VectorMath.gelu(n, x, xOff, out, outOff);
                yield n;
            }
            case GELU_TANH -> {
                VectorMath.geluTanh(n, x, xOff, out, outOff);
                yield n;
            }
            case GELU_SLOPE -> {
                VectorMath.geluSlope(n, x, xOff, out, outOff);
                yield n;
            }
            case GELU_CURVATURE -> {
                VectorMath.geluCurvature(n, x, xOff, out, outOff);
                yield n;
            }
        };
        for (; i < n; i++) out[outOff + i] = op.apply(x[xOff + i]);
    }

    private static int neg(int n, float[] x, int xOff, float[] out, int outOff) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xOff + i).neg().intoArray(out, outOff + i);
        return i;
    }

    private static int relu(int n, float[] x, int xOff, float[] out, int outOff) {
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            // Not max(v, 0): that keeps NaN, while the scalar twin maps NaN to 0.
            zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(out, outOff + i);
        }
        return i;
    }

    // sqrt and the division are correctly rounded, as (float) Math.sqrt is: these match the twin bit for bit.

    private static int sqrt(int n, float[] x, int xOff, float[] out, int outOff) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xOff + i).sqrt().intoArray(out, outOff + i);
        return i;
    }

    private static int rsqrt(int n, float[] x, int xOff, float[] out, int outOff) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) one.div(FloatVector.fromArray(F, x, xOff + i).sqrt()).intoArray(out, outOff + i);
        return i;
    }

    private static int abs(int n, float[] x, int xOff, float[] out, int outOff) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xOff + i).abs().intoArray(out, outOff + i);
        return i;
    }

    /** Math.signum: 1, -1, and x itself for zeros (keeping their sign) and NaN. */
    private static int sign(int n, float[] x, int xOff, float[] out, int outOff) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            v.blend(1f, v.compare(VectorOperators.GT, 0f)).blend(-1f, v.compare(VectorOperators.LT, 0f))
                    .intoArray(out, outOff + i);
        }
        return i;
    }

    static void pow(int n, float p, float[] x, int xOff, float[] out, int outOff) {
        if (p == 0.5f) {
            unary(UnaryOp.SQRT, n, x, xOff, out, outOff);
        } else if (p == -0.5f) {
            unary(UnaryOp.RSQRT, n, x, xOff, out, outOff);
        } else if (Elementwise.integerExponent(p)) {
            powInteger(n, p, x, xOff, out, outOff);
        } else {
            // e^(p log x), in place in out: NaN for negative x, 0 or infinity at 0, as Math.pow.
            VectorMath.log(n, x, xOff, out, outOff);
            VectorMath.exp(n, p, 0f, out, outOff, out, outOff);
        }
    }

    /** x^p for an integer p by squaring, in the twin's order of multiplications: bit for bit the same. */
    private static void powInteger(int n, float p, float[] x, int xOff, float[] out, int outOff) {
        int e = (int) Math.abs(p);
        boolean reciprocal = p < 0;
        FloatVector one = FloatVector.broadcast(F, 1f);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector base = FloatVector.fromArray(F, x, xOff + i), r = one;
            for (int k = e; k != 0; k >>>= 1) {
                // A blend, not a branch: a vector merged from two paths is boxed.
                r = r.mul(base.blend(one, F.maskAll((k & 1) == 0)));
                base = base.mul(base);
            }
            (reciprocal ? one.div(r) : r).intoArray(out, outOff + i);
        }
        ElementwiseScalar.pow(n - i, p, x, xOff + i, out, outOff + i);
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
