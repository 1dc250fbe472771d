package org.panagrad.kernels;

/**
 * Fused optimizer updates over a parameter array and its gradient, in place, one pass each.
 * Formulas follow PyTorch's SGD (with momentum and Nesterov) and Adam / AdamW.
 *
 * <p>Each update returns the sum of squares of the gradient it read, accumulated in the same pass: a
 * training step gets its gradient norm, and sees a non-finite gradient, without another pass over memory.
 * The sum is accumulated in float (in vector lanes, then the tail), so it can overflow to infinity for a
 * finite gradient of norm above about 1.8e19; {@link #norm} tells the two apart.
 */
public final class Updates {
    private Updates() {}

    /** p -= lr * (g + weightDecay * p); returns the sum of g². */
    public static float sgd(int n, float lr, float weightDecay, float[] p, int pOff, float[] g, int gOff) {
        if (Simd.ENABLED) return UpdatesSimd.sgd(n, lr, weightDecay, p, pOff, g, gOff);
        return UpdatesScalar.sgd(n, lr, weightDecay, p, pOff, g, gOff);
    }

    /** d = g + wd*p; vel = mu*vel + d; p -= lr * (nesterov ? d + mu*vel : vel); returns the sum of g². */
    public static float momentum(int n, float lr, float mu, boolean nesterov, float weightDecay,
                                 float[] p, int pOff, float[] g, int gOff, float[] vel, int vOff) {
        if (Simd.ENABLED) return UpdatesSimd.momentum(n, lr, mu, nesterov, weightDecay, p, pOff, g, gOff, vel, vOff);
        return UpdatesScalar.momentum(n, lr, mu, nesterov, weightDecay, p, pOff, g, gOff, vel, vOff);
    }

    /** Adam or AdamW (see {@link AdamHyperparameters}); returns the sum of g². */
    public static float adam(int n, AdamHyperparameters h, float[] p, int pOff, float[] g, int gOff,
                             float[] m, int mOff, float[] v, int vOff) {
        if (Simd.ENABLED) return UpdatesSimd.adam(n, h, p, pOff, g, gOff, m, mOff, v, vOff);
        return UpdatesScalar.adam(n, h, p, pOff, g, gOff, m, mOff, v, vOff);
    }

    /**
     * The L2 norm of {@code x[off..off+n)} given the float sum of squares an update returned for it: its square
     * root, except when that sum overflowed, where the norm is recomputed in double (a second pass, only for
     * gradients that have already exploded). NaN when x holds a NaN, infinity when it holds an infinity (or
     * when the norm itself is beyond float's range).
     */
    public static float norm(float sumOfSquares, int n, float[] x, int off) {
        if (sumOfSquares != Float.POSITIVE_INFINITY) return (float) Math.sqrt(sumOfSquares);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double xi = x[off + i];
            sum += xi * xi;
        }
        return (float) Math.sqrt(sum);
    }
}
