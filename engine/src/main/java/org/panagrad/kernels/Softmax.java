package org.panagrad.kernels;

/**
 * Row-wise softmax, log-softmax and softmax cross-entropy over integer class labels (stored as floats,
 * exact for any class count below 2^24).
 */
public final class Softmax {
    private Softmax() {}

    /**
     * Rows narrower than two vectors (the 10 classes of MNIST) take the scalar loops: their vector work is one
     * iteration per row between two calls, and JMH caught C2 now and then compiling such a row loop with the
     * vector calls left un-intrinsified, which boxes vectors (~45 KB per HVP) for the rest of the run.
     */
    private static final int VECTOR_MIN_COLS = 2 * VectorMath.F.length();

    private static boolean vector(int cols) {
        return Simd.ENABLED && cols >= VECTOR_MIN_COLS;
    }

    public static void softmax(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        if (vector(cols)) SoftmaxSimd.softmax(rows, cols, x, xOff, out, outOff);
        else SoftmaxScalar.softmax(rows, cols, x, xOff, out, outOff);
    }

    public static void logSoftmax(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        if (vector(cols)) SoftmaxSimd.logSoftmax(rows, cols, x, xOff, out, outOff);
        else SoftmaxScalar.logSoftmax(rows, cols, x, xOff, out, outOff);
    }

    /** Mean over rows of -log softmax(z)[label]. */
    public static float crossEntropyMean(int rows, int cols, float[] z, int zOff, float[] labels, int labelsOff) {
        return vector(cols) ? SoftmaxSimd.crossEntropyMean(rows, cols, z, zOff, labels, labelsOff)
                : SoftmaxScalar.crossEntropyMean(rows, cols, z, zOff, labels, labelsOff);
    }

    /** out = scale * (softmax(z) - onehot(labels)), row by row. */
    public static void crossEntropyGrad(int rows, int cols, float scale, float[] z, int zOff,
                                        float[] labels, int labelsOff, float[] out, int outOff) {
        if (vector(cols)) SoftmaxSimd.crossEntropyGrad(rows, cols, scale, z, zOff, labels, labelsOff, out, outOff);
        else SoftmaxScalar.crossEntropyGrad(rows, cols, scale, z, zOff, labels, labelsOff, out, outOff);
    }

    /**
     * Both at once, one pass over each row: writes grad = scale * (softmax(z) - onehot(labels)) and returns
     * the mean over rows of -log softmax(z)[label]. grad may be z itself (same offset).
     */
    public static float crossEntropyWithGrad(int rows, int cols, float scale, float[] z, int zOff,
                                             float[] labels, int labelsOff, float[] grad, int gradOff) {
        return vector(cols) ? SoftmaxSimd.crossEntropyWithGrad(rows, cols, scale, z, zOff, labels, labelsOff, grad, gradOff)
                : SoftmaxScalar.crossEntropyWithGrad(rows, cols, scale, z, zOff, labels, labelsOff, grad, gradOff);
    }
}
