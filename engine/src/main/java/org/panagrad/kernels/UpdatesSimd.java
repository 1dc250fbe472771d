package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of {@link Updates}: the same formulas, one pass over p, g and the optimizer state. The sum
 * of squares of g is one more FMA per vector, on data already loaded, into two accumulators taken in turn: with
 * one, each FMA would wait for the previous one (4-5 cycles), which on 8 lanes is slower than the memory the
 * pass streams.
 * <p>
 * The vector loops run in chunks of {@link #CHUNK} floats, one call of a chunk method each, and the entry points
 * hold no vector code. A training step calls an update once per parameter tensor (a few dozen times), so an
 * update with its vector loop inline stays C1 code, which allocates a heap vector per Vector API call, until C2's
 * invocation threshold, hundreds of steps on; a chunk method is called once per 256 floats (hundreds of times per
 * step) and reaches C2 within a few steps. C1 does not inline the chunk methods (too big) and no vector crosses a
 * call, so the C1 code of the entry points allocates nothing. Each chunk sums its squares to a float, and the
 * entry point adds the chunks' sums in order.
 */
final class UpdatesSimd {
    private UpdatesSimd() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /** Floats per chunk call: a multiple of every vector length (16 vectors at 512 bits). */
    static final int CHUNK = 256;

    static float sgd(int n, float lr, float weightDecay, float[] p, int pOff, float[] g, int gOff) {
        int bound = F.loopBound(n);
        float squares = 0f;
        for (int i = 0; i < bound; i += CHUNK) {
            squares += sgdChunk(Math.min(CHUNK, bound - i), lr, weightDecay, p, pOff + i, g, gOff + i);
        }
        return squares + UpdatesScalar.sgd(n - bound, lr, weightDecay, p, pOff + bound, g, gOff + bound);
    }

    /** {@link #sgd} on n floats, n a multiple of the vector length. */
    private static float sgdChunk(int n, float lr, float weightDecay, float[] p, int pOff, float[] g, int gOff) {
        FloatVector squares = FloatVector.zero(F), other = squares;
        for (int i = 0; i < n; i += F.length()) {
            FloatVector w = FloatVector.fromArray(F, p, pOff + i);
            FloatVector gi = FloatVector.fromArray(F, g, gOff + i);
            FloatVector sum = gi.fma(gi, squares);
            squares = other;
            other = sum;
            FloatVector d = w.fma(FloatVector.broadcast(F, weightDecay), gi);
            d.fma(FloatVector.broadcast(F, -lr), w).intoArray(p, pOff + i);
        }
        FloatVector total = squares.add(other);
        return LaneSum.ORDERED_REDUCTION ? total.reduceLanes(VectorOperators.ADD) : LaneSum.tree(total);
    }

    static float momentum(int n, float lr, float mu, boolean nesterov, float weightDecay,
                          float[] p, int pOff, float[] g, int gOff, float[] vel, int vOff) {
        int bound = F.loopBound(n);
        float squares = 0f;
        for (int i = 0; i < bound; i += CHUNK) {
            squares += momentumChunk(Math.min(CHUNK, bound - i), lr, mu, nesterov, weightDecay, p, pOff + i, g, gOff + i,
                    vel, vOff + i);
        }
        return squares + UpdatesScalar.momentum(n - bound, lr, mu, nesterov, weightDecay, p, pOff + bound, g, gOff + bound,
                vel, vOff + bound);
    }

    /** {@link #momentum} on n floats, n a multiple of the vector length. */
    private static float momentumChunk(int n, float lr, float mu, boolean nesterov, float weightDecay,
                                       float[] p, int pOff, float[] g, int gOff, float[] vel, int vOff) {
        FloatVector squares = FloatVector.zero(F), other = squares;
        for (int i = 0; i < n; i += F.length()) {
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
        FloatVector total = squares.add(other);
        return LaneSum.ORDERED_REDUCTION ? total.reduceLanes(VectorOperators.ADD) : LaneSum.tree(total);
    }

    static float adam(int n, AdamHyperparameters h, float[] p, int pOff, float[] g, int gOff,
                      float[] m, int mOff, float[] v, int vOff) {
        float lr = h.lr(), beta1 = h.beta1(), beta2 = h.beta2(), weightDecay = h.weightDecay();
        float stepSize = lr / h.biasCorrection1();
        float invSqrtBc2 = (float) (1.0 / Math.sqrt(h.biasCorrection2()));
        float keepW = h.decoupled() ? 1f - lr * weightDecay : 1f;
        float gradDecay = h.decoupled() ? 0f : weightDecay;
        int bound = F.loopBound(n);
        float squares = 0f;
        for (int i = 0; i < bound; i += CHUNK) {
            squares += adamChunk(Math.min(CHUNK, bound - i), beta1, beta2, h.eps(), stepSize, invSqrtBc2, keepW, gradDecay,
                    p, pOff + i, g, gOff + i, m, mOff + i, v, vOff + i);
        }
        return squares + UpdatesScalar.adam(n - bound, h, p, pOff + bound, g, gOff + bound, m, mOff + bound, v, vOff + bound);
    }

    /** {@link #adam} on n floats, n a multiple of the vector length, with the step's constants worked out. */
    private static float adamChunk(int n, float beta1, float beta2, float eps, float stepSize, float invSqrtBc2,
                                   float keepW, float gradDecay, float[] p, int pOff, float[] g, int gOff,
                                   float[] m, int mOff, float[] v, int vOff) {
        FloatVector squares = FloatVector.zero(F), other = squares;
        for (int i = 0; i < n; i += F.length()) {
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
            FloatVector denom = vi.sqrt().fma(FloatVector.broadcast(F, invSqrtBc2), FloatVector.broadcast(F, eps));
            w.sub(mi.mul(stepSize).div(denom)).intoArray(p, pOff + i);
        }
        FloatVector total = squares.add(other);
        return LaneSum.ORDERED_REDUCTION ? total.reduceLanes(VectorOperators.ADD) : LaneSum.tree(total);
    }
}
