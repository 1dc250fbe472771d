package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transcendental functions over arrays, written as range reduction plus a polynomial (Cephes) in the body of
 * one vector loop each, with a scalar tail on java.lang.Math.
 * Why whole loops and not functions of one FloatVector: a vector passed to or returned from a method that C2
 * did not inline is boxed on the heap, one object per vector. C2 refuses to inline a method it has already
 * compiled on its own into more than InlineSmallCode bytes, or 1/4 of that at call sites its profile calls
 * cold, and a vector helper compiled on its own is big (it boxes). So no method here or in the kernels takes
 * or returns a vector: vectors live in the locals of loops built only from the JDK's force-inlined
 * Vector API methods.
 * Why not {@code VectorOperators.EXP}: on JDK 17 without the SVML stubs it falls back to one
 * {@code Math.exp} call per lane, several times slower than this (see ExpBench).
 * Accuracy: exp within 2e-6 relative over the float range (tested densely on [-88, 0]);
 * log and tanh within a few ulp; erf, gelu, gelu_tanh and the exact GELU's slope and curvature within 2e-6 relative
 * (the slope: of |Phi(x)| + |x phi(x)|, the sum it takes), plus in the tails 2e-7 per unit
 * of the exponent z of the e^-z they take (x^2, x^2 / 2, 2|u|): the float rounding of z (erf below 0.5 is Taylor's
 * series, within 2 ulp).
 */
final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Float> F = Simd.FLOAT;

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

    /**
     * out[i] = e^(a * x[i] - shift) for i < n; returns the sum of the results. With out == null only the sum
     * is computed. In place (out == x, same offset) is allowed.
     */
    static float exp(int n, float a, float shift, float[] x, int xOff, float[] out, int outOff) {
        FloatVector va = FloatVector.broadcast(F, a), negShift = FloatVector.broadcast(F, -shift);
        FloatVector ln2Hi = FloatVector.broadcast(F, -LN2_HI), ln2Lo = FloatVector.broadcast(F, -LN2_LO);
        FloatVector p2 = FloatVector.broadcast(F, 8.3334519073e-3f), p3 = FloatVector.broadcast(F, 4.1665795894e-2f);
        FloatVector p4 = FloatVector.broadcast(F, 1.6666665459e-1f), p5 = FloatVector.broadcast(F, 5.0000001201e-1f);
        // No vector op has the loop-carried sum as its receiver (e.add(sum), zero.add(sum)): C2 types a loop phi
        // FloatVector, so sum.add(e) and sum.reduceLanes went through profiled class checks, and on JDK 17 in
        // vit-tiny's HVP C2 then boxed the zero, e and sum on every iteration (about half of its 176 MB per call).
        FloatVector zero = FloatVector.zero(F), sum = zero;
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector xc = FloatVector.fromArray(F, x, xOff + i).fma(va, negShift).max(EXP_MIN).min(EXP_MAX);
            FloatVector t = xc.fma(LOG2E, ROUNDING_MAGIC);
            FloatVector k = t.sub(ROUNDING_MAGIC);
            IntVector ki = t.reinterpretAsInts().sub(ROUNDING_MAGIC_BITS);
            FloatVector r = k.fma(ln2Hi, xc);
            r = k.fma(ln2Lo, r);
            FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f).fma(r, p2).fma(r, p3).fma(r, p4).fma(r, p5);
            FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
            // 2^k in two factors so that k in [-150, 128] never leaves the exponent range of either factor:
            // results down in the subnormals and up to overflow come out right.
            IntVector half = ki.lanewise(VectorOperators.ASHR, 1);
            FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = ki.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            // NaN flows through max/min (they follow Math.max), so NaN in gives NaN out.
            FloatVector e = y.mul(s1).mul(s2);
            if (out != null) e.intoArray(out, outOff + i); // loop-invariant: C2 unswitches the loop on it
            sum = e.add(sum);
        }
        // Reduced here with the Vector API's own (force-inlined) methods only, in LaneSum's order: C2 has refused to
        // inline LaneSum's tree into this big loop (NodeCountInliningCutoff; JDK 17, and JDK 25 in an AdaHessianTest
        // run: JFR) and then boxed the vector on every call.
        FloatVector lanes = zero.add(sum);
        float total;
        if (LaneSum.ORDERED_REDUCTION) {
            total = lanes.reduceLanes(VectorOperators.ADD);
        } else {
            if (LaneSum.D8 != null) lanes = lanes.add(lanes.rearrange(LaneSum.D8));
            lanes = lanes.add(lanes.rearrange(LaneSum.D4));
            lanes = lanes.add(lanes.rearrange(LaneSum.D2));
            total = lanes.add(lanes.rearrange(LaneSum.D1)).lane(0);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(a * x[xOff + i] - shift);
            if (out != null) out[outOff + i] = e;
            total += e;
        }
        return total;
    }

    /**
     * {@link #exp} at a = 1 for a softmax's shifted scores, x[i] - shift <= 0 (or -inf, or NaN): one 2^k factor
     * instead of two and no overflow clamp, so results whose 2^k is below 2^-126 (inputs below about -87.7) are 0, not
     * subnormals (the scalar tail does not flush).
     * 1.5x faster than {@link #exp} on t256's attention rows; the same bits from -87.3 to 0 (tested). Inputs above
     * 0 give garbage: callers shift by a maximum.
     */
    static float expNonPositive(int n, float shift, float[] x, int xOff, float[] out, int outOff) {
        FloatVector negShift = FloatVector.broadcast(F, -shift);
        FloatVector ln2Hi = FloatVector.broadcast(F, -LN2_HI), ln2Lo = FloatVector.broadcast(F, -LN2_LO);
        FloatVector p2 = FloatVector.broadcast(F, 8.3334519073e-3f), p3 = FloatVector.broadcast(F, 4.1665795894e-2f);
        FloatVector p4 = FloatVector.broadcast(F, 1.6666665459e-1f), p5 = FloatVector.broadcast(F, 5.0000001201e-1f);
        FloatVector zero = FloatVector.zero(F), sum = zero; // the sum as in exp: never a receiver (boxing on JDK 17)
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector xc = FloatVector.fromArray(F, x, xOff + i).add(negShift).max(EXP_MIN);
            FloatVector t = xc.fma(LOG2E, ROUNDING_MAGIC);
            FloatVector k = t.sub(ROUNDING_MAGIC);
            IntVector biased = t.reinterpretAsInts().sub(ROUNDING_MAGIC_BITS - 127); // k + 127, in [-23, 127]
            FloatVector r = k.fma(ln2Hi, xc);
            r = k.fma(ln2Lo, r);
            FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f).fma(r, p2).fma(r, p3).fma(r, p4).fma(r, p5);
            FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
            // A biased exponent below 1 (k < -126) becomes the float 0: no subnormal results, no second factor.
            FloatVector e = y.mul(biased.max(0).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e.intoArray(out, outOff + i);
            sum = e.add(sum);
        }
        // Reduced here with the Vector API's own (force-inlined) methods only, in LaneSum's order: C2 has refused to
        // inline LaneSum's tree into this big loop (NodeCountInliningCutoff; JDK 17, and JDK 25 in an AdaHessianTest
        // run: JFR) and then boxed the vector on every call.
        FloatVector lanes = zero.add(sum);
        float total;
        if (LaneSum.ORDERED_REDUCTION) {
            total = lanes.reduceLanes(VectorOperators.ADD);
        } else {
            if (LaneSum.D8 != null) lanes = lanes.add(lanes.rearrange(LaneSum.D8));
            lanes = lanes.add(lanes.rearrange(LaneSum.D4));
            lanes = lanes.add(lanes.rearrange(LaneSum.D2));
            total = lanes.add(lanes.rearrange(LaneSum.D1)).lane(0);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xOff + i] - shift);
            out[outOff + i] = e;
            total += e;
        }
        return total;
    }

    private static final float SQRT_HALF = 0.707106781186547524f;
    private static final int MANTISSA_MASK = 0x007FFFFF;
    private static final int HALF_EXPONENT_BITS = 0x3F000000; // exponent field of 0.5
    private static final float SMALLEST_NORMAL = 1.17549435e-38f;
    private static final float TWO_POW_25 = 33554432f;

    /** out = natural logarithm of x; log(0) = -inf, log(negative) = NaN, log(inf) = inf. */
    static void log(int n, float[] x, int xOff, float[] out, int outOff) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector p2 = FloatVector.broadcast(F, 1.1676998740e-1f), p3 = FloatVector.broadcast(F, -1.2420140846e-1f);
        FloatVector p4 = FloatVector.broadcast(F, 1.4249322787e-1f), p5 = FloatVector.broadcast(F, -1.6668057665e-1f);
        FloatVector p6 = FloatVector.broadcast(F, 2.0000714765e-1f), p7 = FloatVector.broadcast(F, -2.4999993993e-1f);
        FloatVector p8 = FloatVector.broadcast(F, 3.3333331174e-1f);
        FloatVector ln2Hi = FloatVector.broadcast(F, LN2_HI), ln2Lo = FloatVector.broadcast(F, LN2_LO);
        FloatVector minusHalf = FloatVector.broadcast(F, -0.5f);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            // Subnormals are scaled into the normal range first so the exponent extraction is valid.
            VectorMask<Float> subnormal = v.compare(VectorOperators.LT, SMALLEST_NORMAL).and(v.compare(VectorOperators.GT, 0f));
            IntVector bits = v.blend(v.mul(TWO_POW_25), subnormal).reinterpretAsInts();
            // v = m * 2^e with m in [0.5, 1)
            // castShape to the constant species (as DropoutMaskSimd), not convert(I2F), whose run-time species lookup
            // C2 does not always fold (failed convert intrinsics in PrintInlining; a log whose store fell back).
            FloatVector e = ((FloatVector) bits.lanewise(VectorOperators.LSHR, 23).sub(126).castShape(F, 0))
                    .sub(zero.blend(25f, subnormal));
            FloatVector m = bits.and(MANTISSA_MASK).or(HALF_EXPONENT_BITS).reinterpretAsFloats();
            // Move m to [sqrt(1/2), sqrt(2)) so that the polynomial argument m - 1 stays small.
            VectorMask<Float> small = m.compare(VectorOperators.LT, SQRT_HALF);
            e = e.sub(zero.blend(1f, small));
            FloatVector f = m.add(m.blend(0f, small.not())).sub(1f);
            FloatVector z = f.mul(f);
            FloatVector p = f.fma(7.0376836292e-2f, -1.1514610310e-1f)
                    .fma(f, p2).fma(f, p3).fma(f, p4).fma(f, p5).fma(f, p6).fma(f, p7).fma(f, p8);
            FloatVector y = p.mul(f).mul(z);
            y = e.fma(ln2Lo, y);
            y = z.fma(minusHalf, y);
            FloatVector result = e.fma(ln2Hi, f.add(y));
            // The edges of the domain: 0 -> -inf, negative or NaN -> NaN, +inf -> +inf.
            result = result.blend(Float.NEGATIVE_INFINITY, v.compare(VectorOperators.EQ, 0f));
            result = result.blend(Float.NaN, v.compare(VectorOperators.LT, 0f).or(v.test(VectorOperators.IS_NAN)));
            result.blend(Float.POSITIVE_INFINITY, v.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY))
                    .intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = (float) Math.log(x[xOff + i]);
    }

    /** out = 1 / (1 + e^-x); saturates to exactly 0 and 1 at the ends. In place is allowed. */
    static void sigmoid(int n, float[] x, int xOff, float[] out, int outOff) {
        exp(n, -1f, 0f, x, xOff, out, outOff);
        FloatVector one = FloatVector.broadcast(F, 1f);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) one.div(FloatVector.fromArray(F, out, outOff + i).add(1f)).intoArray(out, outOff + i);
        for (; i < n; i++) out[outOff + i] = 1f / (1f + out[outOff + i]);
    }

    /**
     * out = tanh(x): an odd polynomial near 0 (where the exp form cancels), 2 / (1 + e^-2x) - 1 elsewhere,
     * which goes to exactly -1 and 1 at the ends. In place is allowed.
     */
    static void tanh(int n, float[] x, int xOff, float[] out, int outOff) {
        float[] e = Scratch.get(); // the exponentials of one chunk
        FloatVector two = FloatVector.broadcast(F, 2f);
        FloatVector q2 = FloatVector.broadcast(F, -5.37397155531e-2f), q3 = FloatVector.broadcast(F, 1.33314422036e-1f);
        FloatVector q4 = FloatVector.broadcast(F, -3.33332819422e-1f);
        for (int c = 0; c < n; c += Scratch.CHUNK) {
            int m = Math.min(Scratch.CHUNK, n - c);
            exp(m, -2f, 0f, x, xOff + c, e, 0);
            int bound = F.loopBound(m);
            int i = 0;
            for (; i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, xOff + c + i);
                FloatVector z = v.mul(v);
                FloatVector near0 = z.fma(-5.70498872745e-3f, 2.06390887954e-2f).fma(z, q2).fma(z, q3).fma(z, q4)
                        .mul(z).fma(v, v);
                FloatVector far = two.div(FloatVector.fromArray(F, e, i).add(1f)).sub(1f);
                far.blend(near0, v.abs().compare(VectorOperators.LT, 0.625f)).intoArray(out, outOff + c + i);
            }
            for (; i < m; i++) out[outOff + c + i] = (float) Math.tanh(x[xOff + c + i]);
        }
    }

    /**
     * out = log(1 + e^x) = max(x, 0) + log1p(e^-|x|), with log1p(t) = log(u) t / (u - 1) for u = 1 + t rounded
     * (exact where u == 1): accurate for tiny e^-|x|, where log(1 + t) would lose it. In chunks through the
     * scratch: -|x| then its exponential in row 0, u then log u in row 1. In place is allowed.
     */
    static void softplus(int n, float[] x, int xOff, float[] out, int outOff) {
        float[] s = Scratch.get();
        int t0 = 0, u0 = Scratch.CHUNK;
        for (int c = 0; c < n; c += Scratch.CHUNK) {
            int m = Math.min(Scratch.CHUNK, n - c), bound = F.loopBound(m);
            int i = 0;
            for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xOff + c + i).abs().neg().intoArray(s, t0 + i);
            for (; i < m; i++) s[t0 + i] = -Math.abs(x[xOff + c + i]);
            exp(m, 1f, 0f, s, t0, s, t0);
            for (i = 0; i < bound; i += F.length()) FloatVector.fromArray(F, s, t0 + i).add(1f).intoArray(s, u0 + i);
            for (; i < m; i++) s[u0 + i] = 1f + s[t0 + i];
            log(m, s, u0, s, u0);
            // s[t0 + i] = e^-|x|, s[u0 + i] = log(1 + e^-|x|) before the correction.
            for (i = 0; i < bound; i += F.length()) {
                FloatVector t = FloatVector.fromArray(F, s, t0 + i), u = t.add(1f);
                FloatVector log1p = FloatVector.fromArray(F, s, u0 + i).mul(t).div(u.sub(1f))
                        .blend(t, u.compare(VectorOperators.EQ, 1f));
                FloatVector.fromArray(F, x, xOff + c + i).max(0f).add(log1p).intoArray(out, outOff + c + i);
            }
            for (; i < m; i++) {
                float t = s[t0 + i], u = 1f + t;
                float log1p = u == 1f ? t : s[u0 + i] * t / (u - 1f);
                out[outOff + c + i] = Math.max(x[xOff + c + i], 0f) + log1p;
            }
        }
    }

    // erfc(a) for a >= 0 as t e^(-a^2 + Q(t)), t = 1 / (1 + a / 2), with Q the Chebyshev-based fit of Press et al.,
    // Numerical Recipes section 6.2: relative error below 1.2e-7 for every a >= 0, so the tails keep their digits.
    private static final float[] ERFC_Q = {0.17087277f, -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f,
        -0.18628806f, 0.09678418f, 0.37409196f, 1.00002368f, -1.26551223f};
    private static final float TWO_OVER_SQRT_PI = 1.1283791670955126f;
    private static final float INV_SQRT_2 = 0.70710678118654752f;

    /**
     * For one chunk of m elements: s[T + i] = t and s[E + i] = erfc(a) for a = |scale * x[i]|, with t as above;
     * the exponential through {@link #exp}.
     */
    private static void erfcChunk(int m, float scale, float[] x, int xOff, float[] s) {
        int bound = F.loopBound(m);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector a = FloatVector.fromArray(F, x, xOff + i).mul(scale).abs();
            FloatVector t = FloatVector.broadcast(F, 1f).div(a.fma(0.5f, 1f));
            FloatVector q = FloatVector.broadcast(F, ERFC_Q[0]);
            for (int k = 1; k < ERFC_Q.length; k++) q = q.fma(t, FloatVector.broadcast(F, ERFC_Q[k]));
            t.intoArray(s, ERFC_T + i);
            a.neg().fma(a, q).intoArray(s, ERFC_E + i);
        }
        for (; i < m; i++) {
            float a = Math.abs(scale * x[xOff + i]), t = 1f / (1f + 0.5f * a), q = ERFC_Q[0];
            for (int k = 1; k < ERFC_Q.length; k++) q = q * t + ERFC_Q[k];
            s[ERFC_T + i] = t;
            s[ERFC_E + i] = -a * a + q;
        }
        exp(m, 1f, 0f, s, ERFC_E, s, ERFC_E);
        for (i = 0; i < bound; i += F.length()) {
            FloatVector.fromArray(F, s, ERFC_E + i).mul(FloatVector.fromArray(F, s, ERFC_T + i)).intoArray(s, ERFC_E + i);
        }
        for (; i < m; i++) s[ERFC_E + i] *= s[ERFC_T + i];
    }

    private static final int ERFC_T = 0, ERFC_E = Scratch.CHUNK;

    /** erfc(a) by the same fit in double, for the scalar twins (Commons Math's erfc allocates in its tails). */
    static double erfc(double a) {
        if (a < 0) return 2 - erfc(-a);
        double t = 1 / (1 + 0.5 * a), q = ERFC_Q[0];
        for (int k = 1; k < ERFC_Q.length; k++) q = q * t + ERFC_Q[k];
        return t * Math.exp(-a * a + q);
    }

    /** erf(x) as {@link #erf(int, float[], int, float[], int)} computes it, in double: the series below 0.5. */
    static double erf(double x) {
        if (Math.abs(x) >= 0.5) return x < 0 ? erfc(-x) - 1 : 1 - erfc(x);
        double c0 = TWO_OVER_SQRT_PI, z = x * x;
        return (((((-c0 / 1320 * z + c0 / 216) * z - c0 / 42) * z + c0 / 10) * z - c0 / 3) * z + c0) * x;
    }

    /** out = erf(x): Taylor's series to x^11 below 0.5, 1 - erfc(|x|) with x's sign above. In place is allowed. */
    static void erf(int n, float[] x, int xOff, float[] out, int outOff) {
        float[] s = Scratch.get();
        float c0 = TWO_OVER_SQRT_PI, c1 = -c0 / 3, c2 = c0 / 10, c3 = -c0 / 42, c4 = c0 / 216, c5 = -c0 / 1320;
        for (int c = 0; c < n; c += Scratch.CHUNK) {
            int m = Math.min(Scratch.CHUNK, n - c), bound = F.loopBound(m);
            erfcChunk(m, 1f, x, xOff + c, s);
            int i = 0;
            for (; i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, xOff + c + i), z = v.mul(v);
                FloatVector series = z.fma(c5, c4).fma(z, FloatVector.broadcast(F, c3)).fma(z, FloatVector.broadcast(F, c2))
                        .fma(z, FloatVector.broadcast(F, c1)).fma(z, FloatVector.broadcast(F, c0)).mul(v);
                FloatVector far = FloatVector.broadcast(F, 1f).sub(FloatVector.fromArray(F, s, ERFC_E + i));
                far = far.blend(far.neg(), v.compare(VectorOperators.LT, 0f));
                far.blend(series, v.abs().compare(VectorOperators.LT, 0.5f)).intoArray(out, outOff + c + i);
            }
            for (; i < m; i++) {
                float v = x[xOff + c + i], z = v * v;
                if (Math.abs(v) < 0.5f) out[outOff + c + i] = (((((c5 * z + c4) * z + c3) * z + c2) * z + c1) * z + c0) * v;
                else out[outOff + c + i] = v < 0 ? s[ERFC_E + i] - 1f : 1f - s[ERFC_E + i];
            }
        }
    }

    /** out = x Phi(x) = x erfc(-x / sqrt 2) / 2, PyTorch's exact GELU. In place is allowed. */
    static void gelu(int n, float[] x, int xOff, float[] out, int outOff) {
        float[] s = Scratch.get();
        for (int c = 0; c < n; c += Scratch.CHUNK) {
            int m = Math.min(Scratch.CHUNK, n - c), bound = F.loopBound(m);
            erfcChunk(m, INV_SQRT_2, x, xOff + c, s);
            int i = 0;
            for (; i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, xOff + c + i), half = FloatVector.fromArray(F, s, ERFC_E + i).mul(0.5f);
                FloatVector phi = half.neg().add(1f).blend(half, v.compare(VectorOperators.LT, 0f));
                v.mul(phi).intoArray(out, outOff + c + i);
            }
            for (; i < m; i++) {
                float v = x[xOff + c + i], half = 0.5f * s[ERFC_E + i];
                out[outOff + c + i] = v * (v < 0 ? half : 1f - half);
            }
        }
    }

    private static final float INV_SQRT_2PI = 0.3989422804014327f;
    /**
     * |x| beyond which the terms with the normal density phi(x) (below 3e-32 there) are taken as 0: the results stay
     * normal floats (the float exponential loses digits in the subnormals) and +-inf gives the limits, not inf * 0.
     */
    private static final float DENSITY_BOUND = 12f;
    private static final int DENSITY = 2 * Scratch.CHUNK;

    /** For one chunk of m elements: s[DENSITY + i] = e^(-x[i]^2 / 2). */
    private static void densityChunk(int m, float[] x, int xOff, float[] s) {
        int bound = F.loopBound(m);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            v.mul(v).mul(-0.5f).intoArray(s, DENSITY + i);
        }
        for (; i < m; i++) s[DENSITY + i] = x[xOff + i] * x[xOff + i] * -0.5f;
        exp(m, 1f, 0f, s, DENSITY, s, DENSITY);
    }

    /**
     * out = gelu'(x) = Phi(x) + x phi(x) for the exact GELU, one pass instead of the ten of its graph-op form (erf and
     * exp each a pass of their own). In place is allowed.
     */
    static void geluSlope(int n, float[] x, int xOff, float[] out, int outOff) {
        float[] s = Scratch.get();
        FloatVector zero = FloatVector.zero(F);
        for (int c = 0; c < n; c += Scratch.CHUNK) {
            int m = Math.min(Scratch.CHUNK, n - c), bound = F.loopBound(m);
            erfcChunk(m, INV_SQRT_2, x, xOff + c, s);
            densityChunk(m, x, xOff + c, s);
            int i = 0;
            for (; i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, xOff + c + i), half = FloatVector.fromArray(F, s, ERFC_E + i).mul(0.5f);
                FloatVector cdf = half.neg().add(1f).blend(half, v.compare(VectorOperators.LT, 0f));
                FloatVector xpdf = v.mul(INV_SQRT_2PI).mul(FloatVector.fromArray(F, s, DENSITY + i))
                        .blend(zero, v.abs().compare(VectorOperators.GT, DENSITY_BOUND));
                cdf.add(xpdf).intoArray(out, outOff + c + i);
            }
            for (; i < m; i++) {
                float v = x[xOff + c + i], half = 0.5f * s[ERFC_E + i], cdf = v < 0 ? half : 1f - half;
                out[outOff + c + i] = Math.abs(v) > DENSITY_BOUND ? cdf : cdf + v * INV_SQRT_2PI * s[DENSITY + i];
            }
        }
    }

    /** out = gelu''(x) = phi(x) (2 - x^2) for the exact GELU, one pass. In place is allowed. */
    static void geluCurvature(int n, float[] x, int xOff, float[] out, int outOff) {
        float[] s = Scratch.get();
        FloatVector zero = FloatVector.zero(F), two = FloatVector.broadcast(F, 2f);
        for (int c = 0; c < n; c += Scratch.CHUNK) {
            int m = Math.min(Scratch.CHUNK, n - c), bound = F.loopBound(m);
            densityChunk(m, x, xOff + c, s);
            int i = 0;
            for (; i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, xOff + c + i);
                FloatVector.fromArray(F, s, DENSITY + i).mul(INV_SQRT_2PI).mul(v.neg().fma(v, two))
                        .blend(zero, v.abs().compare(VectorOperators.GT, DENSITY_BOUND)).intoArray(out, outOff + c + i);
            }
            for (; i < m; i++) {
                float v = x[xOff + c + i];
                out[outOff + c + i] = Math.abs(v) > DENSITY_BOUND ? 0f : s[DENSITY + i] * INV_SQRT_2PI * Math.fma(-v, v, 2f);
            }
        }
    }

    /**
     * out = x (1 + tanh(u)) / 2 = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3), PyTorch's gelu(approximate="tanh"),
     * with e^(-2|u|) so the exponential never overflows. In place is allowed.
     */
    static void geluTanh(int n, float[] x, int xOff, float[] out, int outOff) {
        float[] s = Scratch.get();
        float k = (float) Math.sqrt(2 / Math.PI);
        for (int c = 0; c < n; c += Scratch.CHUNK) {
            int m = Math.min(Scratch.CHUNK, n - c), bound = F.loopBound(m);
            int i = 0;
            for (; i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, xOff + c + i);
                v.mul(v).fma(0.044715f, 1f).mul(v).mul(-2f * k).abs().neg().intoArray(s, i);
            }
            for (; i < m; i++) {
                float v = x[xOff + c + i];
                s[i] = -Math.abs(-2f * k * (v * (1f + 0.044715f * v * v)));
            }
            exp(m, 1f, 0f, s, 0, s, 0);
            for (i = 0; i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, xOff + c + i), e = FloatVector.fromArray(F, s, i);
                FloatVector sig = FloatVector.broadcast(F, 1f).blend(e, v.compare(VectorOperators.LT, 0f)).div(e.add(1f));
                v.mul(sig).intoArray(out, outOff + c + i);
            }
            for (; i < m; i++) {
                float v = x[xOff + c + i], e = s[i];
                out[outOff + c + i] = v * ((v < 0 ? e : 1f) / (1f + e));
            }
        }
    }
}
