package org.panagrad.kernels;

/**
 * Fused optimizer updates over a parameter array and its gradient, in place, one pass each.
 * Formulas follow PyTorch's SGD (with momentum and Nesterov) and Adam / AdamW.
 */
public final class Updates {
    private Updates() {}

    /** p -= lr * (g + weightDecay * p). */
    public static void sgd(int n, float lr, float weightDecay, float[] p, int pOff, float[] g, int gOff) {
        if (Simd.ENABLED) UpdatesSimd.sgd(n, lr, weightDecay, p, pOff, g, gOff);
        else UpdatesScalar.sgd(n, lr, weightDecay, p, pOff, g, gOff);
    }

    /** d = g + wd*p; vel = mu*vel + d; p -= lr * (nesterov ? d + mu*vel : vel). */
    public static void momentum(int n, float lr, float mu, boolean nesterov, float weightDecay,
                                float[] p, int pOff, float[] g, int gOff, float[] vel, int vOff) {
        if (Simd.ENABLED) UpdatesSimd.momentum(n, lr, mu, nesterov, weightDecay, p, pOff, g, gOff, vel, vOff);
        else UpdatesScalar.momentum(n, lr, mu, nesterov, weightDecay, p, pOff, g, gOff, vel, vOff);
    }

    /**
     * Adam (decoupled = false, weight decay added to the gradient) or AdamW (decoupled = true).
     * biasCorrection1 = 1 - beta1^t, biasCorrection2 = 1 - beta2^t.
     */
    public static void adam(int n, float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled,
                            float biasCorrection1, float biasCorrection2,
                            float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff) {
        if (Simd.ENABLED) UpdatesSimd.adam(n, lr, beta1, beta2, eps, weightDecay, decoupled, biasCorrection1, biasCorrection2,
                p, pOff, g, gOff, m, mOff, v, vOff);
        else UpdatesScalar.adam(n, lr, beta1, beta2, eps, weightDecay, decoupled, biasCorrection1, biasCorrection2,
                p, pOff, g, gOff, m, mOff, v, vOff);
    }
}
