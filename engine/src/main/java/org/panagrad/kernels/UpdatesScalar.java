package org.panagrad.kernels;

/** Plain-loop twins of {@link Updates}; the formulas are PyTorch's. */
public final class UpdatesScalar {
    private UpdatesScalar() {}

    public static void sgd(int n, float lr, float weightDecay, float[] p, int pOff, float[] g, int gOff) {
        for (int i = 0; i < n; i++) {
            float d = g[gOff + i] + weightDecay * p[pOff + i];
            p[pOff + i] -= lr * d;
        }
    }

    public static void momentum(int n, float lr, float mu, boolean nesterov, float weightDecay,
                                float[] p, int pOff, float[] g, int gOff, float[] vel, int vOff) {
        for (int i = 0; i < n; i++) {
            float d = g[gOff + i] + weightDecay * p[pOff + i];
            float v = mu * vel[vOff + i] + d;
            vel[vOff + i] = v;
            p[pOff + i] -= lr * (nesterov ? d + mu * v : v);
        }
    }

    public static void adam(int n, float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled,
                            float biasCorrection1, float biasCorrection2,
                            float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff) {
        float stepSize = lr / biasCorrection1;
        float invSqrtBc2 = (float) (1.0 / Math.sqrt(biasCorrection2));
        for (int i = 0; i < n; i++) {
            float w = p[pOff + i];
            float d = g[gOff + i];
            if (decoupled) w -= lr * weightDecay * w; else d += weightDecay * w;
            float mi = beta1 * m[mOff + i] + (1f - beta1) * d;
            float vi = beta2 * v[vOff + i] + (1f - beta2) * d * d;
            m[mOff + i] = mi;
            v[vOff + i] = vi;
            p[pOff + i] = w - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps);
        }
    }
}
