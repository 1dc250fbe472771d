package org.panagrad.kernels;

/** Plain-loop twins of {@link Softmax}, numerically stabilised by the row maximum. */
public final class SoftmaxScalar {
    private SoftmaxScalar() {}

    public static void softmax(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        for (int i = 0; i < rows; i++) {
            int xi = xOff + i * cols, oi = outOff + i * cols;
            float max = rowMax(cols, x, xi);
            float sum = 0f;
            for (int j = 0; j < cols; j++) {
                float e = (float) Math.exp(x[xi + j] - max);
                out[oi + j] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int j = 0; j < cols; j++) out[oi + j] *= inv;
        }
    }

    public static void logSoftmax(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        for (int i = 0; i < rows; i++) {
            int xi = xOff + i * cols, oi = outOff + i * cols;
            float lse = logSumExp(cols, x, xi);
            for (int j = 0; j < cols; j++) out[oi + j] = x[xi + j] - lse;
        }
    }

    public static float crossEntropyMean(int rows, int cols, float[] z, int zOff, float[] labels, int labelsOff) {
        double total = 0;
        for (int i = 0; i < rows; i++) {
            int zi = zOff + i * cols;
            total += logSumExp(cols, z, zi) - z[zi + (int) labels[labelsOff + i]];
        }
        return (float) (total / rows);
    }

    public static void crossEntropyGrad(int rows, int cols, float scale, float[] z, int zOff,
                                        float[] labels, int labelsOff, float[] out, int outOff) {
        softmax(rows, cols, z, zOff, out, outOff);
        for (int i = 0; i < rows; i++) {
            int oi = outOff + i * cols;
            out[oi + (int) labels[labelsOff + i]] -= 1f;
            for (int j = 0; j < cols; j++) out[oi + j] *= scale;
        }
    }

    public static float crossEntropyWithGrad(int rows, int cols, float scale, float[] z, int zOff,
                                             float[] labels, int labelsOff, float[] grad, int gradOff) {
        float loss = crossEntropyMean(rows, cols, z, zOff, labels, labelsOff); // before grad may overwrite z
        crossEntropyGrad(rows, cols, scale, z, zOff, labels, labelsOff, grad, gradOff);
        return loss;
    }

    static float rowMax(int cols, float[] x, int xi) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) max = Math.max(max, x[xi + j]);
        return max;
    }

    static float logSumExp(int cols, float[] x, int xi) {
        float max = rowMax(cols, x, xi);
        float sum = 0f;
        for (int j = 0; j < cols; j++) sum += (float) Math.exp(x[xi + j] - max);
        return max + (float) Math.log(sum);
    }
}
