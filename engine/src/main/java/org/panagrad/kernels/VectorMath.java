package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transcendental functions on float vectors, written as range reduction plus a polynomial (Cephes).
 * Why not {@code VectorOperators.EXP}: on JDK 17 without the SVML stubs it falls back to one
 * {@code Math.exp} call per lane, several times slower than this (see ExpBench).
 * Accuracy: exp within 2e-6 relative over the float range (tested densely on [-88, 0]);
 * log and tanh within a few ulp.
 */
final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private static final float LOG2E = 1.44269504088896341f;
    // ln 2 split in a part with few mantissa bits (so n * LN2_HI is exact) and the rest.
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    // Adding 1.5 * 2^23 pushes the fraction bits out of the mantissa: the sum is x rounded to the nearest
    // integer and its low mantissa bits hold that integer. No float->int conversion needed.
    private static final float ROUNDING_MAGIC = 12582912f;
    private static final int ROUNDING_MAGIC_BITS = 0x4B400000;
    // Below EXP_MIN the result rounds to 0; above EXP_MAX it overflows to infinity.
    private static final float EXP_MIN = -104f;
    private static final float EXP_MAX = 88.8f;

    /** e^x for every lane. */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector t = xc.fma(LOG2E, ROUNDING_MAGIC);
        FloatVector n = t.sub(ROUNDING_MAGIC);
        IntVector ni = t.reinterpretAsInts().sub(ROUNDING_MAGIC_BITS);
        FloatVector r = n.fma(c(-LN2_HI), xc);
        r = n.fma(c(-LN2_LO), r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f)
                .fma(r, c(8.3334519073e-3f))
                .fma(r, c(4.1665795894e-2f))
                .fma(r, c(1.6666665459e-1f))
                .fma(r, c(5.0000001201e-1f));
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
        // 2^n in two factors so that n in [-150, 128] never leaves the exponent range of either factor:
        // results down in the subnormals and up to overflow come out right.
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector rest = ni.sub(half);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = rest.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        // NaN flows through max/min (they follow Math.max), so NaN in gives NaN out.
        return y.mul(s1).mul(s2);
    }

    /** A constant as a vector; C2 hoists these broadcasts out of the caller's loop. */
    private static FloatVector c(float value) {
        return FloatVector.broadcast(F, value);
    }

    private static final float SQRT_HALF = 0.707106781186547524f;
    private static final int MANTISSA_MASK = 0x007FFFFF;
    private static final int HALF_EXPONENT_BITS = 0x3F000000; // exponent field of 0.5
    private static final float SMALLEST_NORMAL = 1.17549435e-38f;
    private static final float TWO_POW_25 = 33554432f;

    /** Natural logarithm for every lane; log(0) = -inf, log(negative) = NaN, log(inf) = inf. */
    static FloatVector log(FloatVector x) {
        // Subnormals are scaled into the normal range first so the exponent extraction below is valid.
        VectorMask<Float> subnormal = x.compare(VectorOperators.LT, SMALLEST_NORMAL).and(x.compare(VectorOperators.GT, 0f));
        FloatVector xs = x.blend(x.mul(TWO_POW_25), subnormal);
        FloatVector exponentBias = FloatVector.zero(F).blend(25f, subnormal);
        IntVector bits = xs.reinterpretAsInts();
        // x = m * 2^e with m in [0.5, 1)
        FloatVector e = ((FloatVector) bits.lanewise(VectorOperators.LSHR, 23).sub(126)
                .convert(VectorOperators.I2F, 0)).sub(exponentBias);
        FloatVector m = bits.and(MANTISSA_MASK).or(HALF_EXPONENT_BITS).reinterpretAsFloats();
        // Move m to [sqrt(1/2), sqrt(2)) so that the polynomial argument m - 1 stays small.
        VectorMask<Float> small = m.compare(VectorOperators.LT, SQRT_HALF);
        e = e.sub(FloatVector.zero(F).blend(1f, small));
        FloatVector f = m.add(m.blend(0f, small.not())).sub(1f);
        FloatVector z = f.mul(f);
        FloatVector p = f.fma(7.0376836292e-2f, -1.1514610310e-1f)
                .fma(f, c(1.1676998740e-1f))
                .fma(f, c(-1.2420140846e-1f))
                .fma(f, c(1.4249322787e-1f))
                .fma(f, c(-1.6668057665e-1f))
                .fma(f, c(2.0000714765e-1f))
                .fma(f, c(-2.4999993993e-1f))
                .fma(f, c(3.3333331174e-1f));
        FloatVector y = p.mul(f).mul(z);
        y = e.fma(c(LN2_LO), y);
        y = z.fma(c(-0.5f), y);
        FloatVector result = e.fma(c(LN2_HI), f.add(y));
        // The edges of the domain: 0 -> -inf, negative or NaN -> NaN, +inf -> +inf.
        result = result.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        result = result.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN)));
        return result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
    }

    /** tanh: an odd polynomial near 0 (where 1 - 2/(e^2x + 1) would cancel), the exp form elsewhere. */
    static FloatVector tanh(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector z = x.mul(x);
        FloatVector near0 = z.fma(-5.70498872745e-3f, 2.06390887954e-2f)
                .fma(z, c(-5.37397155531e-2f))
                .fma(z, c(1.33314422036e-1f))
                .fma(z, c(-3.33332819422e-1f))
                .mul(z).fma(x, x);
        FloatVector far = FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(exp(ax.add(ax)).add(1f)));
        far = far.lanewise(VectorOperators.NEG, x.compare(VectorOperators.LT, 0f));
        return far.blend(near0, ax.compare(VectorOperators.LT, 0.625f));
    }

    /** 1 / (1 + e^-x); saturates to exactly 0 and 1 at the ends. */
    static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(F, 1f).div(exp(x.neg()).add(1f));
    }
}
