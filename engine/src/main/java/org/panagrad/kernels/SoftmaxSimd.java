package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of {@link Softmax}. Exponentials go through the loop of {@link VectorMath#exp}; their arguments are
 * x - rowMax <= 0, the range where its relative error is tested. Scalar tails use Math.exp.
 */
final class SoftmaxSimd {
    private SoftmaxSimd() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    static void softmax(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        for (int i = 0; i < rows; i++) {
            int xi = xOff + i * cols, oi = outOff + i * cols;
            float sum = VectorMath.exp(cols, 1f, rowMax(cols, x, xi), x, xi, out, oi);
            ElementwiseSimd.scale(cols, 1f / sum, out, oi, out, oi);
        }
    }

    static void logSoftmax(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        for (int i = 0; i < rows; i++) {
            int xi = xOff + i * cols, oi = outOff + i * cols;
            float shift = logSumExp(cols, x, xi);
            FloatVector vShift = FloatVector.broadcast(F, shift);
            int bound = F.loopBound(cols);
            int j = 0;
            for (; j < bound; j += F.length()) FloatVector.fromArray(F, x, xi + j).sub(vShift).intoArray(out, oi + j);
            for (; j < cols; j++) out[oi + j] = x[xi + j] - shift;
        }
    }

    static float crossEntropyMean(int rows, int cols, float[] z, int zOff, float[] labels, int labelsOff) {
        double total = 0;
        for (int i = 0; i < rows; i++) {
            int zi = zOff + i * cols;
            total += logSumExp(cols, z, zi) - z[zi + (int) labels[labelsOff + i]];
        }
        return (float) (total / rows);
    }

    static void crossEntropyGrad(int rows, int cols, float scale, float[] z, int zOff,
                                 float[] labels, int labelsOff, float[] out, int outOff) {
        crossEntropyWithGrad(rows, cols, scale, z, zOff, labels, labelsOff, out, outOff);
    }

    /** One pass per row: the row's exponentials serve both the loss and the gradient. */
    static float crossEntropyWithGrad(int rows, int cols, float scale, float[] z, int zOff,
                                      float[] labels, int labelsOff, float[] grad, int gradOff) {
        double total = 0;
        for (int i = 0; i < rows; i++) {
            int zi = zOff + i * cols, gi = gradOff + i * cols;
            int label = (int) labels[labelsOff + i];
            float zLabel = z[zi + label]; // read before grad (which may alias z) is written
            float max = rowMax(cols, z, zi);
            float sum = VectorMath.exp(cols, 1f, max, z, zi, grad, gi);
            total += max + Math.log(sum) - zLabel;
            ElementwiseSimd.scale(cols, scale / sum, grad, gi, grad, gi);
            grad[gi + label] -= scale;
        }
        return (float) (total / rows);
    }

    static float rowMax(int cols, float[] x, int xi) {
        int bound = F.loopBound(cols);
        int j = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (bound > 0) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; j < bound; j += F.length()) acc = acc.max(FloatVector.fromArray(F, x, xi + j));
            max = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; j < cols; j++) max = Math.max(max, x[xi + j]);
        return max;
    }

    private static float logSumExp(int cols, float[] x, int xi) {
        float max = rowMax(cols, x, xi);
        return max + (float) Math.log(VectorMath.exp(cols, 1f, max, x, xi, null, 0));
    }
}
