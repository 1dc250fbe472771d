package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vector API bodies of {@link Updates}: the same formulas, one pass over p, g and the optimizer state. */
final class UpdatesSimd {
    private UpdatesSimd() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    static void sgd(int n, float lr, float weightDecay, float[] p, int pOff, float[] g, int gOff) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector w = FloatVector.fromArray(F, p, pOff + i);
            FloatVector d = w.fma(FloatVector.broadcast(F, weightDecay), FloatVector.fromArray(F, g, gOff + i));
            d.fma(FloatVector.broadcast(F, -lr), w).intoArray(p, pOff + i);
        }
        UpdatesScalar.sgd(n - i, lr, weightDecay, p, pOff + i, g, gOff + i);
    }

    static void momentum(int n, float lr, float mu, boolean nesterov, float weightDecay,
                         float[] p, int pOff, float[] g, int gOff, float[] vel, int vOff) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector w = FloatVector.fromArray(F, p, pOff + i);
            FloatVector d = w.fma(FloatVector.broadcast(F, weightDecay), FloatVector.fromArray(F, g, gOff + i));
            FloatVector v = FloatVector.fromArray(F, vel, vOff + i).fma(FloatVector.broadcast(F, mu), d);
            v.intoArray(vel, vOff + i);
            FloatVector step = nesterov ? v.fma(FloatVector.broadcast(F, mu), d) : v;
            step.fma(FloatVector.broadcast(F, -lr), w).intoArray(p, pOff + i);
        }
        UpdatesScalar.momentum(n - i, lr, mu, nesterov, weightDecay, p, pOff + i, g, gOff + i, vel, vOff + i);
    }

    static void adam(int n, float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled,
                     float biasCorrection1, float biasCorrection2,
                     float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff) {
        float stepSize = lr / biasCorrection1;
        float invSqrtBc2 = (float) (1.0 / Math.sqrt(biasCorrection2));
        float keepW = decoupled ? 1f - lr * weightDecay : 1f;
        float gradDecay = decoupled ? 0f : weightDecay;
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector w = FloatVector.fromArray(F, p, pOff + i);
            FloatVector d = w.fma(FloatVector.broadcast(F, gradDecay), FloatVector.fromArray(F, g, gOff + i));
            w = w.mul(keepW);
            FloatVector mi = FloatVector.fromArray(F, m, mOff + i).mul(beta1).add(d.mul(1f - beta1));
            FloatVector vi = FloatVector.fromArray(F, v, vOff + i).mul(beta2).add(d.mul(d).mul(1f - beta2));
            mi.intoArray(m, mOff + i);
            vi.intoArray(v, vOff + i);
            FloatVector denom = vi.sqrt().fma(FloatVector.broadcast(F, invSqrtBc2), FloatVector.broadcast(F, eps));
            w.sub(mi.mul(stepSize).div(denom)).intoArray(p, pOff + i);
        }
        UpdatesScalar.adam(n - i, lr, beta1, beta2, eps, weightDecay, decoupled, biasCorrection1, biasCorrection2,
                p, pOff + i, g, gOff + i, m, mOff + i, v, vOff + i);
    }
}
