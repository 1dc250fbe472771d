package org.panagrad.kernels;

/**
 * Softmax, log-softmax and softmax cross-entropy along one axis of a tensor seen as [outer, length, inner]
 * ({@link Axis}), over integer class labels (stored as floats, exact for any class count below 2^24) of shape
 * [outer, inner]. Positions whose label equals {@code ignoreIndex} do not count (PyTorch's ignore_index); pass
 * a value the labels never hold when none is ignored.
 */
public final class Softmax {
    private Softmax() {}

    /**
     * Rows narrower than two vectors (the 10 classes of MNIST) take the scalar loops: their vector work is one
     * iteration per row between two calls, and JMH caught C2 now and then compiling such a row loop with the
     * vector calls left un-intrinsified, which boxes vectors (~45 KB per HVP) for the rest of the run. Along a
     * strided axis the vectors run across the inner positions, which must fill at least one.
     */
    private static final int VECTOR_MIN_COLS = 2 * VectorMath.F.length();

    private static boolean vector(Axis ax) {
        return Simd.ENABLED && (ax.inner() == 1 ? ax.length() >= VECTOR_MIN_COLS : ax.inner() >= VectorMath.F.length());
    }

    public static void softmax(Axis ax, float[] x, int xOff, float[] out, int outOff) {
        if (vector(ax)) SoftmaxSimd.softmax(ax, x, xOff, out, outOff);
        else SoftmaxScalar.softmax(ax, x, xOff, out, outOff);
    }

    public static void logSoftmax(Axis ax, float[] x, int xOff, float[] out, int outOff) {
        if (vector(ax)) SoftmaxSimd.logSoftmax(ax, x, xOff, out, outOff);
        else SoftmaxScalar.logSoftmax(ax, x, xOff, out, outOff);
    }

    /** Mean over the counted positions of -log softmax(z)[label]: NaN when every position is ignored. */
    public static float crossEntropyMean(Axis ax, int ignoreIndex, float[] z, int zOff, float[] labels, int labelsOff) {
        return vector(ax) ? SoftmaxSimd.crossEntropyMean(ax, ignoreIndex, z, zOff, labels, labelsOff)
                : SoftmaxScalar.crossEntropyMean(ax, ignoreIndex, z, zOff, labels, labelsOff);
    }

    /**
     * out = (softmax(z) - onehot(labels)) / counted positions, and 0 at ignored positions: the gradient of
     * {@link #crossEntropyMean}. out may be z itself (same offset).
     */
    public static void crossEntropyGrad(Axis ax, int ignoreIndex, float[] z, int zOff, float[] labels, int labelsOff,
                                        float[] out, int outOff) {
        float scale = 1f / counted(ax.positions(), ignoreIndex, labels, labelsOff);
        if (vector(ax)) SoftmaxSimd.crossEntropyGrad(ax, ignoreIndex, scale, z, zOff, labels, labelsOff, out, outOff);
        else SoftmaxScalar.crossEntropyGrad(ax, ignoreIndex, scale, z, zOff, labels, labelsOff, out, outOff);
    }

    /**
     * out[i] = 1 / (counted positions) where labels[i] counts, 0 where it is ignored: the weight of each
     * position in the mean. A pass over n labels with nothing to vectorise, so it has no SIMD body.
     */
    public static void countedWeights(int n, int ignoreIndex, float[] labels, int labelsOff, float[] out, int outOff) {
        float w = 1f / counted(n, ignoreIndex, labels, labelsOff);
        for (int i = 0; i < n; i++) out[outOff + i] = (int) labels[labelsOff + i] == ignoreIndex ? 0f : w;
    }

    /** How many of n labels are not ignoreIndex. */
    public static int counted(int n, int ignoreIndex, float[] labels, int labelsOff) {
        int count = 0;
        for (int i = 0; i < n; i++) if ((int) labels[labelsOff + i] != ignoreIndex) count++;
        return count;
    }
}
