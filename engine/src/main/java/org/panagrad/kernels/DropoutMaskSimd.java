package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector body of {@link DropoutMask}: {@link CounterHash#bits24} in 32-bit lanes, as many as the float vector
 * has. The 24-bit draws convert to floats exactly and are compared there, so the mask is a float mask from the
 * start (a mask cast between species allocated on JDK 17).
 */
final class DropoutMaskSimd {
    private DropoutMaskSimd() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final IntVector LANES = IntVector.zero(I).addIndex(1);

    static void apply(int n, long key, int first, int threshold, float scale, float[] x, int xOff, float[] out, int outOff) {
        int hi = (int) (key >>> 32), lo = (int) key;
        float limit = threshold;
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            IntVector h = LANES.add(first + i + hi).mul(0x9E3779B9).lanewise(VectorOperators.XOR, lo);
            h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x85EBCA6B);
            h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13)).mul(0xC2B2AE35);
            h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).lanewise(VectorOperators.LSHR, 8);
            // castShape to the constant species, not convert(I2F): convert finds its species at run time, and where C2
            // could not fold that lookup it compiled the conversion, and all that follows, as allocating fallbacks.
            FloatVector draw = (FloatVector) h.castShape(F, 0);
            FloatVector v = FloatVector.fromArray(F, x, xOff + i).mul(scale);
            zero.blend(v, draw.compare(VectorOperators.GE, limit)).intoArray(out, outOff + i);
        }
        DropoutMaskScalar.apply(n - i, key, first + i, threshold, scale, x, xOff + i, out, outOff + i);
    }
}
