package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Vector API bodies of {@link Softmax}. Along a contiguous axis (inner = 1) the vectors run along each row;
 * along a strided one they run across up to {@link Scratch#CHUNK} inner positions at a time, whose maxima and
 * sums wait in the scratch rows while the axis is walked. Exponentials go through the loop of
 * {@link VectorMath#exp}; their arguments are x - max <= 0, the range where its relative error is tested; the
 * softmax's own through {@link VectorMath#expNonPositive} (1.5x faster, the same bits down to -87.3, 0 for
 * probabilities below about e^-87.7 instead of subnormals). Scalar tails use Math.exp.
 */
final class SoftmaxSimd {
    private SoftmaxSimd() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /** The scratch rows of the strided path: maxima, then sums (log-sum-exps), then exponentials. */
    private static final int MAX = 0, SUM = Scratch.CHUNK, TMP = 2 * Scratch.CHUNK;
    private static final float[] ONE = {1f};

    static void softmax(Axis ax, float[] x, int xOff, float[] out, int outOff) {
        int n = ax.length(), inner = ax.inner();
        if (inner == 1) {
            for (int i = 0; i < ax.outer(); i++) {
                int xi = xOff + i * n, oi = outOff + i * n;
                float sum = VectorMath.expNonPositive(n, ReductionsSimd.reduceRow(true, n, x, xi), x, xi, out, oi);
                ElementwiseSimd.scale(n, 1f / sum, out, oi, out, oi);
            }
            return;
        }
        float[] s = Scratch.get();
        for (int o = 0; o < ax.outer(); o++) {
            for (int j = 0; j < inner; j += Scratch.CHUNK) {
                int w = Math.min(Scratch.CHUNK, inner - j), at = o * n * inner + j;
                columnSoftmax(n, inner, w, x, xOff + at, out, outOff + at, s);
            }
        }
    }

    static void logSoftmax(Axis ax, float[] x, int xOff, float[] out, int outOff) {
        int n = ax.length(), inner = ax.inner();
        if (inner == 1) {
            for (int i = 0; i < ax.outer(); i++) {
                int xi = xOff + i * n, oi = outOff + i * n;
                float shift = logSumExp(n, x, xi);
                FloatVector vShift = FloatVector.broadcast(F, shift);
                int bound = F.loopBound(n);
                int j = 0;
                for (; j < bound; j += F.length()) FloatVector.fromArray(F, x, xi + j).sub(vShift).intoArray(out, oi + j);
                for (; j < n; j++) out[oi + j] = x[xi + j] - shift;
            }
            return;
        }
        float[] s = Scratch.get();
        for (int o = 0; o < ax.outer(); o++) {
            for (int j = 0; j < inner; j += Scratch.CHUNK) {
                int w = Math.min(Scratch.CHUNK, inner - j), at = o * n * inner + j;
                columnLogSumExp(n, inner, w, x, xOff + at, s);
                for (int c = 0; c < n; c++) {
                    int xc = xOff + at + c * inner, oc = outOff + at + c * inner;
                    ElementwiseSimd.binaryRow(BinaryOp.SUB, w, x, xc, 1, s, SUM, 1, out, oc);
                }
            }
        }
    }

    static float crossEntropyMean(Axis ax, int ignoreIndex, float[] z, int zOff, float[] labels, int labelsOff) {
        int n = ax.length(), inner = ax.inner(), count = 0;
        double total = 0;
        if (inner == 1) {
            for (int i = 0; i < ax.outer(); i++) {
                int label = (int) labels[labelsOff + i];
                if (label == ignoreIndex) continue;
                int zi = zOff + i * n;
                total += logSumExp(n, z, zi) - z[zi + label];
                count++;
            }
            return (float) (total / count);
        }
        float[] s = Scratch.get();
        for (int o = 0; o < ax.outer(); o++) {
            for (int j = 0; j < inner; j += Scratch.CHUNK) {
                int w = Math.min(Scratch.CHUNK, inner - j), zi = zOff + o * n * inner + j, li = labelsOff + o * inner + j;
                columnLogSumExp(n, inner, w, z, zi, s);
                for (int p = 0; p < w; p++) {
                    int label = (int) labels[li + p];
                    if (label == ignoreIndex) continue;
                    total += s[SUM + p] - z[zi + label * inner + p];
                    count++;
                }
            }
        }
        return (float) (total / count);
    }

    /** One pass per row (or per chunk of positions): the exponentials serve the normalisation and the gradient. */
    static void crossEntropyGrad(Axis ax, int ignoreIndex, float scale, float[] z, int zOff,
                                 float[] labels, int labelsOff, float[] grad, int gradOff) {
        int n = ax.length(), inner = ax.inner();
        if (inner == 1) {
            for (int i = 0; i < ax.outer(); i++) {
                int zi = zOff + i * n, gi = gradOff + i * n;
                int label = (int) labels[labelsOff + i];
                if (label == ignoreIndex) {
                    ElementwiseSimd.fill(n, 0f, grad, gi);
                    continue;
                }
                float sum = VectorMath.exp(n, 1f, ReductionsSimd.reduceRow(true, n, z, zi), z, zi, grad, gi);
                ElementwiseSimd.scale(n, scale / sum, grad, gi, grad, gi);
                grad[gi + label] -= scale;
            }
            return;
        }
        float[] s = Scratch.get();
        for (int o = 0; o < ax.outer(); o++) {
            for (int j = 0; j < inner; j += Scratch.CHUNK) {
                int w = Math.min(Scratch.CHUNK, inner - j), at = o * n * inner + j, li = labelsOff + o * inner + j;
                columnSoftmax(n, inner, w, z, zOff + at, grad, gradOff + at, s);
                for (int c = 0; c < n; c++) ElementwiseSimd.scale(w, scale, grad, gradOff + at + c * inner, grad, gradOff + at + c * inner);
                for (int p = 0; p < w; p++) {
                    int label = (int) labels[li + p], gp = gradOff + at + p;
                    if (label != ignoreIndex) grad[gp + label * inner] -= scale;
                    else for (int c = 0; c < n; c++) grad[gp + c * inner] = 0f;
                }
            }
        }
    }

    /** Softmax along a strided axis for w adjacent positions: out may be x (each element read before written). */
    private static void columnSoftmax(int n, int inner, int w, float[] x, int xi, float[] out, int oi, float[] s) {
        columnMax(n, inner, w, x, xi, s);
        Arrays.fill(s, SUM, SUM + w, 0f);
        for (int c = 0; c < n; c++) {
            int xc = xi + c * inner, oc = oi + c * inner;
            ElementwiseSimd.binaryRow(BinaryOp.SUB, w, x, xc, 1, s, MAX, 1, out, oc);
            VectorMath.expNonPositive(w, 0f, out, oc, out, oc);
            ElementwiseSimd.binaryRow(BinaryOp.ADD, w, s, SUM, 1, out, oc, 1, s, SUM);
        }
        ElementwiseSimd.binaryRow(BinaryOp.DIV, w, ONE, 0, 0, s, SUM, 1, s, SUM);
        for (int c = 0; c < n; c++) ElementwiseSimd.binaryRow(BinaryOp.MUL, w, out, oi + c * inner, 1, s, SUM, 1, out, oi + c * inner);
    }

    /** s[SUM..] = log-sum-exp along a strided axis for w adjacent positions (x is not written). */
    private static void columnLogSumExp(int n, int inner, int w, float[] x, int xi, float[] s) {
        columnMax(n, inner, w, x, xi, s);
        Arrays.fill(s, SUM, SUM + w, 0f);
        for (int c = 0; c < n; c++) {
            ElementwiseSimd.binaryRow(BinaryOp.SUB, w, x, xi + c * inner, 1, s, MAX, 1, s, TMP);
            VectorMath.exp(w, 1f, 0f, s, TMP, s, TMP);
            ElementwiseSimd.binaryRow(BinaryOp.ADD, w, s, SUM, 1, s, TMP, 1, s, SUM);
        }
        VectorMath.log(w, s, SUM, s, SUM);
        ElementwiseSimd.binaryRow(BinaryOp.ADD, w, s, SUM, 1, s, MAX, 1, s, SUM);
    }

    private static void columnMax(int n, int inner, int w, float[] x, int xi, float[] s) {
        Arrays.fill(s, MAX, MAX + w, Float.NEGATIVE_INFINITY);
        for (int c = 0; c < n; c++) ElementwiseSimd.binaryRow(BinaryOp.MAX, w, s, MAX, 1, x, xi + c * inner, 1, s, MAX);
    }

    private static float logSumExp(int cols, float[] x, int xi) {
        float max = ReductionsSimd.reduceRow(true, cols, x, xi);
        return max + (float) Math.log(VectorMath.exp(cols, 1f, max, x, xi, null, 0));
    }
}
