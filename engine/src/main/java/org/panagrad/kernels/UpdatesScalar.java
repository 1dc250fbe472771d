package org.panagrad.kernels;

/** Plain-loop twins of {@link Updates}; the formulas are PyTorch's. Each returns the sum of squares of g. */
public final class UpdatesScalar {
    private UpdatesScalar() {}

    public static float sgd(int n, float lr, float weightDecay, float[] p, int pOff, float[] g, int gOff) {
        float squares = 0;
        for (int i = 0; i < n; i++) {
            float gi = g[gOff + i];
            squares += gi * gi;
            float d = gi + weightDecay * p[pOff + i];
            p[pOff + i] -= lr * d;
        }
        return squares;
    }

    public static float momentum(int n, float lr, float mu, boolean nesterov, float weightDecay,
                                 float[] p, int pOff, float[] g, int gOff, float[] vel, int vOff) {
        float squares = 0;
        for (int i = 0; i < n; i++) {
            float gi = g[gOff + i];
            squares += gi * gi;
            float d = gi + weightDecay * p[pOff + i];
            float v = mu * vel[vOff + i] + d;
            vel[vOff + i] = v;
            p[pOff + i] -= lr * (nesterov ? d + mu * v : v);
        }
        return squares;
    }

    public static float adam(int n, AdamHyperparameters h, float[] p, int pOff, float[] g, int gOff,
                             float[] m, int mOff, float[] v, int vOff) {
        float lr = h.lr(), beta1 = h.beta1(), beta2 = h.beta2(), eps = h.eps(), weightDecay = h.weightDecay();
        boolean decoupled = h.decoupled();
        float stepSize = lr / h.biasCorrection1();
        float invSqrtBc2 = (float) (1.0 / Math.sqrt(h.biasCorrection2()));
        float squares = 0;
        for (int i = 0; i < n; i++) {
            float w = p[pOff + i];
            float d = g[gOff + i];
            squares += d * d;
            if (decoupled) w -= lr * weightDecay * w; else d += weightDecay * w;
            float mi = beta1 * m[mOff + i] + (1f - beta1) * d;
            float vi = beta2 * v[vOff + i] + (1f - beta2) * d * d;
            m[mOff + i] = mi;
            v[vOff + i] = vi;
            p[pOff + i] = w - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps);
        }
        return squares;
    }
}
