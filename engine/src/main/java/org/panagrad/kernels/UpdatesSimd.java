package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of {@link Updates}: the same formulas, one pass over p, g and the optimizer state. The sum
 * of squares of g is one more FMA per vector, on data already loaded, into two accumulators taken in turn: with
 * one, each FMA would wait for the previous one (4-5 cycles), which on 8 lanes is slower than the memory the
 * pass streams.
 */
final class UpdatesSimd {
    private UpdatesSimd() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    static float sgd(int n, float lr, float weightDecay, float[] p, int pOff, float[] g, int gOff) {
        int bound = F.loopBound(n);
        int i = 0;
        FloatVector squares = FloatVector.zero(F), other = squares;
        for (; i < bound; i += F.length()) {
            FloatVector w = FloatVector.fromArray(F, p, pOff + i);
            FloatVector gi = FloatVector.fromArray(F, g, gOff + i);
            FloatVector sum = gi.fma(gi, squares);
            squares = other;
            other = sum;
            FloatVector d = w.fma(FloatVector.broadcast(F, weightDecay), gi);
            d.fma(FloatVector.broadcast(F, -lr), w).intoArray(p, pOff + i);
        }
        return LaneSum.of(squares.add(other))
                + UpdatesScalar.sgd(n - i, lr, weightDecay, p, pOff + i, g, gOff + i);
    }

    static float momentum(int n, float lr, float mu, boolean nesterov, float weightDecay,
                          float[] p, int pOff, float[] g, int gOff, float[] vel, int vOff) {
        int bound = F.loopBound(n);
        int i = 0;
        FloatVector squares = FloatVector.zero(F), other = squares;
        for (; i < bound; i += F.length()) {
            FloatVector w = FloatVector.fromArray(F, p, pOff + i);
            FloatVector gi = FloatVector.fromArray(F, g, gOff + i);
            FloatVector sum = gi.fma(gi, squares);
            squares = other;
            other = sum;
            FloatVector d = w.fma(FloatVector.broadcast(F, weightDecay), gi);
            FloatVector v = FloatVector.fromArray(F, vel, vOff + i).fma(FloatVector.broadcast(F, mu), d);
            v.intoArray(vel, vOff + i);
            FloatVector step = nesterov ? v.fma(FloatVector.broadcast(F, mu), d) : v;
            step.fma(FloatVector.broadcast(F, -lr), w).intoArray(p, pOff + i);
        }
        return LaneSum.of(squares.add(other))
                + UpdatesScalar.momentum(n - i, lr, mu, nesterov, weightDecay, p, pOff + i, g, gOff + i, vel, vOff + i);
    }

    static float adam(int n, AdamHyperparameters h, float[] p, int pOff, float[] g, int gOff,
                      float[] m, int mOff, float[] v, int vOff) {
        float lr = h.lr(), beta1 = h.beta1(), beta2 = h.beta2(), weightDecay = h.weightDecay();
        float stepSize = lr / h.biasCorrection1();
        float invSqrtBc2 = (float) (1.0 / Math.sqrt(h.biasCorrection2()));
        float keepW = h.decoupled() ? 1f - lr * weightDecay : 1f;
        float gradDecay = h.decoupled() ? 0f : weightDecay;
        int bound = F.loopBound(n);
        int i = 0;
        FloatVector squares = FloatVector.zero(F), other = squares;
        for (; i < bound; i += F.length()) {
            FloatVector w = FloatVector.fromArray(F, p, pOff + i);
            FloatVector gi = FloatVector.fromArray(F, g, gOff + i);
            FloatVector sum = gi.fma(gi, squares);
            squares = other;
            other = sum;
            FloatVector d = w.fma(FloatVector.broadcast(F, gradDecay), gi);
            w = w.mul(keepW);
            FloatVector mi = FloatVector.fromArray(F, m, mOff + i).mul(beta1).add(d.mul(1f - beta1));
            FloatVector vi = FloatVector.fromArray(F, v, vOff + i).mul(beta2).add(d.mul(d).mul(1f - beta2));
            mi.intoArray(m, mOff + i);
            vi.intoArray(v, vOff + i);
            FloatVector denom = vi.sqrt().fma(FloatVector.broadcast(F, invSqrtBc2), FloatVector.broadcast(F, h.eps()));
            w.sub(mi.mul(stepSize).div(denom)).intoArray(p, pOff + i);
        }
        return LaneSum.of(squares.add(other))
                + UpdatesScalar.adam(n - i, h, p, pOff + i, g, gOff + i, m, mOff + i, v, vOff + i);
    }
}
