package org.panagrad.kernels;

/**
 * Row-wise softmax, log-softmax and softmax cross-entropy over integer class labels (stored as floats,
 * exact for any class count below 2^24).
 */
public final class Softmax {
    private Softmax() {}

    public static void softmax(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        SoftmaxScalar.softmax(rows, cols, x, xOff, out, outOff);
    }

    public static void logSoftmax(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        SoftmaxScalar.logSoftmax(rows, cols, x, xOff, out, outOff);
    }

    /** Mean over rows of -log softmax(z)[label]. */
    public static float crossEntropyMean(int rows, int cols, float[] z, int zOff, float[] labels, int labelsOff) {
        return SoftmaxScalar.crossEntropyMean(rows, cols, z, zOff, labels, labelsOff);
    }

    /** out = scale * (softmax(z) - onehot(labels)), row by row. */
    public static void crossEntropyGrad(int rows, int cols, float scale, float[] z, int zOff,
                                        float[] labels, int labelsOff, float[] out, int outOff) {
        SoftmaxScalar.crossEntropyGrad(rows, cols, scale, z, zOff, labels, labelsOff, out, outOff);
    }
}
