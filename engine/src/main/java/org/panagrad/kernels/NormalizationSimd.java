package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector bodies of {@link Normalization}: lane-wise partial sums per run, one fused multiply-add per element. */
final class NormalizationSimd {
    private NormalizationSimd() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /** Channels [c0, c1) of {@link Normalization#moments}. */
    static void moments(int outer, int channels, int c0, int c1, int inner, float[] x, int xOff, float[] out, int outOff) {
        int bound = F.loopBound(inner);
        for (int c = c0; c < c1; c++) {
            float shift = x[xOff + c * inner];
            FloatVector sv = FloatVector.broadcast(F, shift);
            double s1 = 0, s2 = 0;
            for (int o = 0; o < outer; o++) {
                int at = xOff + (o * channels + c) * inner;
                FloatVector a1 = FloatVector.zero(F), a2 = FloatVector.zero(F);
                int i = 0;
                for (; i < bound; i += F.length()) {
                    FloatVector d = FloatVector.fromArray(F, x, at + i).sub(sv);
                    a1 = a1.add(d);
                    a2 = d.fma(d, a2);
                }
                float r1 = LaneSum.of(a1), r2 = LaneSum.of(a2);
                for (; i < inner; i++) {
                    float d = x[at + i] - shift;
                    r1 += d;
                    r2 += d * d;
                }
                s1 += r1;
                s2 += r2;
            }
            Normalization.finish(shift, s1, s2, (long) outer * inner, out, outOff + c, outOff + channels + c);
        }
    }

    static void affine(int outer, int channels, int inner, float[] x, int xOff, float[] scale, int scaleOff,
                       float[] shift, int shiftOff, float[] out, int outOff) {
        int bound = F.loopBound(inner);
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float a = scale[scaleOff + c], b = shift[shiftOff + c];
                FloatVector av = FloatVector.broadcast(F, a), bv = FloatVector.broadcast(F, b);
                int i = 0;
                for (; i < bound; i += F.length()) {
                    FloatVector.fromArray(F, x, xOff + run + i).fma(av, bv).intoArray(out, outOff + run + i);
                }
                for (; i < inner; i++) out[outOff + run + i] = Math.fma(x[xOff + run + i], a, b);
            }
        }
    }
    static void affinePair(int outer, int channels, int inner, float[] a, int aOff, float[] sa, int saOff,
                           float[] ha, int haOff, float[] b, int bOff, float[] sb, int sbOff, float[] hb, int hbOff,
                           float[] out, int outOff) {
        int bound = F.loopBound(inner);
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float p = sa[saOff + c], q = sb[sbOff + c], h = ha[haOff + c] + hb[hbOff + c];
                FloatVector pv = FloatVector.broadcast(F, p), qv = FloatVector.broadcast(F, q), hv = FloatVector.broadcast(F, h);
                int i = 0;
                for (; i < bound; i += F.length()) {
                    FloatVector bh = FloatVector.fromArray(F, b, bOff + run + i).fma(qv, hv);
                    FloatVector.fromArray(F, a, aOff + run + i).fma(pv, bh).intoArray(out, outOff + run + i);
                }
                for (; i < inner; i++) out[outOff + run + i] = Math.fma(a[aOff + run + i], p, Math.fma(b[bOff + run + i], q, h));
            }
        }
    }
}
