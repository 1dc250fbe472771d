package org.panagrad.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector bodies of {@link Normalization}: lane-wise partial sums per run, one fused multiply-add per element. */
final class NormalizationSimd {
    private NormalizationSimd() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /**
     * Images [o0, o1) of {@link Normalization#moments}, in memory order: each run's sums about the channel's first
     * element (of image 0) in float lanes, added in image order to the channel's double sums at acc[accOff + c] and
     * acc[accOff + channels + c] (zeroed first).
     */
    static void moments(int channels, int o0, int o1, int inner, float[] x, int xOff, double[] acc, int accOff) {
        int bound = F.loopBound(inner);
        Arrays.fill(acc, accOff, accOff + 2 * channels, 0);
        for (int o = o0; o < o1; o++) {
            for (int c = 0; c < channels; c++) {
                float shift = x[xOff + c * inner];
                FloatVector sv = FloatVector.broadcast(F, shift);
                int at = xOff + (o * channels + c) * inner;
                FloatVector a1 = FloatVector.zero(F), a2 = FloatVector.zero(F);
                int i = 0;
                for (; i < bound; i += F.length()) {
                    FloatVector d = FloatVector.fromArray(F, x, at + i).sub(sv);
                    a1 = a1.add(d);
                    a2 = d.fma(d, a2);
                }
                float r1 = LaneSum.ORDERED_REDUCTION ? a1.reduceLanes(VectorOperators.ADD) : LaneSum.tree(a1);
                float r2 = LaneSum.ORDERED_REDUCTION ? a2.reduceLanes(VectorOperators.ADD) : LaneSum.tree(a2);
                for (; i < inner; i++) {
                    float d = x[at + i] - shift;
                    r1 += d;
                    r2 += d * d;
                }
                acc[accOff + c] += r1;
                acc[accOff + channels + c] += r2;
            }
        }
    }

    /**
     * Images [o0, o1) of {@link Normalization#channelDots} into acc as {@link #moments}: per run one loop keeping
     * {@link ReductionsSimd}'s sum and dot chains (lane sums, then the scalar tails), so the same bits as those two
     * reductions run by run.
     */
    static void channelDots(int channels, int o0, int o1, int inner, float[] g, int gOff, float[] x, int xOff,
                            double[] acc, int accOff) {
        int bound = F.loopBound(inner);
        Arrays.fill(acc, accOff, accOff + 2 * channels, 0);
        for (int o = o0; o < o1; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                FloatVector s = FloatVector.zero(F), d = FloatVector.zero(F);
                int i = 0;
                for (; i < bound; i += F.length()) {
                    FloatVector gv = FloatVector.fromArray(F, g, gOff + run + i);
                    s = s.add(gv);
                    d = gv.fma(FloatVector.fromArray(F, x, xOff + run + i), d);
                }
                float rs = LaneSum.ORDERED_REDUCTION ? s.reduceLanes(VectorOperators.ADD) : LaneSum.tree(s);
                float rd = LaneSum.ORDERED_REDUCTION ? d.reduceLanes(VectorOperators.ADD) : LaneSum.tree(d);
                for (; i < inner; i++) {
                    rs += g[gOff + run + i];
                    rd += g[gOff + run + i] * x[xOff + run + i];
                }
                acc[accOff + c] += rs;
                acc[accOff + channels + c] += rd;
            }
        }
    }

    /**
     * {@link #channelDots} of g masked by ReLU's derivative where the ReLU's input was x * fs[c] + fh[c] (batch
     * norm's forward): the mask recomputed from x, which this pass reads anyway, instead of read from the ReLU's
     * output; the same fused multiply-add gives the same mask.
     */
    static void maskedChannelDots(int channels, int o0, int o1, int inner, float[] g, int gOff, float[] x, int xOff,
                                  float[] fs, int fsOff, float[] fh, int fhOff, double[] acc, int accOff) {
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(inner);
        Arrays.fill(acc, accOff, accOff + 2 * channels, 0);
        for (int o = o0; o < o1; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float a = fs[fsOff + c], b = fh[fhOff + c];
                FloatVector av = FloatVector.broadcast(F, a), bv = FloatVector.broadcast(F, b);
                FloatVector s = zero, d = zero;
                int i = 0;
                for (; i < bound; i += F.length()) {
                    FloatVector xv = FloatVector.fromArray(F, x, xOff + run + i);
                    VectorMask<Float> alive = xv.fma(av, bv).compare(VectorOperators.GT, 0f);
                    FloatVector gv = zero.blend(FloatVector.fromArray(F, g, gOff + run + i), alive);
                    s = s.add(gv);
                    d = gv.fma(xv, d);
                }
                float rs = LaneSum.ORDERED_REDUCTION ? s.reduceLanes(VectorOperators.ADD) : LaneSum.tree(s);
                float rd = LaneSum.ORDERED_REDUCTION ? d.reduceLanes(VectorOperators.ADD) : LaneSum.tree(d);
                for (; i < inner; i++) {
                    float xi = x[xOff + run + i], gi = Math.fma(xi, a, b) > 0f ? g[gOff + run + i] : 0f;
                    rs += gi;
                    rd += gi * xi;
                }
                acc[accOff + c] += rs;
                acc[accOff + channels + c] += rd;
            }
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
    // The ReLU fusions: each loop is the unfused passes' loop bodies back to back (the affine map's fused
    // multiply-add, then Elementwise's ReLU as a blend over v > 0, so NaN gives 0), one loop per kernel.

    static void affineRelu(int outer, int channels, int inner, float[] x, int xOff, float[] scale, int scaleOff,
                           float[] shift, int shiftOff, float[] out, int outOff) {
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(inner);
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float a = scale[scaleOff + c], b = shift[shiftOff + c];
                FloatVector av = FloatVector.broadcast(F, a), bv = FloatVector.broadcast(F, b);
                int i = 0;
                for (; i < bound; i += F.length()) {
                    FloatVector v = FloatVector.fromArray(F, x, xOff + run + i).fma(av, bv);
                    zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(out, outOff + run + i);
                }
                for (; i < inner; i++) {
                    float v = Math.fma(x[xOff + run + i], a, b);
                    out[outOff + run + i] = v > 0f ? v : 0f;
                }
            }
        }
    }

    static void affineAddRelu(int outer, int channels, int inner, float[] x, int xOff, float[] scale, int scaleOff,
                              float[] shift, int shiftOff, float[] r, int rOff, float[] out, int outOff) {
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(inner);
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float a = scale[scaleOff + c], b = shift[shiftOff + c];
                FloatVector av = FloatVector.broadcast(F, a), bv = FloatVector.broadcast(F, b);
                int i = 0;
                for (; i < bound; i += F.length()) {
                    FloatVector v = FloatVector.fromArray(F, x, xOff + run + i).fma(av, bv).add(FloatVector.fromArray(F, r, rOff + run + i));
                    zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(out, outOff + run + i);
                }
                for (; i < inner; i++) {
                    float v = Math.fma(x[xOff + run + i], a, b) + r[rOff + run + i];
                    out[outOff + run + i] = v > 0f ? v : 0f;
                }
            }
        }
    }

    static void affinePairRelu(int outer, int channels, int inner, float[] a, int aOff, float[] sa, int saOff,
                               float[] ha, int haOff, float[] b, int bOff, float[] sb, int sbOff, float[] hb, int hbOff,
                               float[] out, int outOff) {
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(inner);
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float p = sa[saOff + c], q = sb[sbOff + c], h = ha[haOff + c] + hb[hbOff + c];
                FloatVector pv = FloatVector.broadcast(F, p), qv = FloatVector.broadcast(F, q), hv = FloatVector.broadcast(F, h);
                int i = 0;
                for (; i < bound; i += F.length()) {
                    FloatVector bh = FloatVector.fromArray(F, b, bOff + run + i).fma(qv, hv);
                    FloatVector v = FloatVector.fromArray(F, a, aOff + run + i).fma(pv, bh);
                    zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(out, outOff + run + i);
                }
                for (; i < inner; i++) {
                    float v = Math.fma(a[aOff + run + i], p, Math.fma(b[bOff + run + i], q, h));
                    out[outOff + run + i] = v > 0f ? v : 0f;
                }
            }
        }
    }

    /** {@link #affinePair} with a masked as {@link #maskedChannelDots} masks g: where b * fs[c] + fh[c] > 0. */
    static void maskedAffinePair(int outer, int channels, int inner, float[] a, int aOff, float[] sa, int saOff,
                                 float[] ha, int haOff, float[] b, int bOff, float[] sb, int sbOff, float[] hb, int hbOff,
                                 float[] fs, int fsOff, float[] fh, int fhOff, float[] out, int outOff) {
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(inner);
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float p = sa[saOff + c], q = sb[sbOff + c], h = ha[haOff + c] + hb[hbOff + c], u = fs[fsOff + c], v = fh[fhOff + c];
                FloatVector pv = FloatVector.broadcast(F, p), qv = FloatVector.broadcast(F, q), hv = FloatVector.broadcast(F, h);
                FloatVector uv = FloatVector.broadcast(F, u), vv = FloatVector.broadcast(F, v);
                int i = 0;
                for (; i < bound; i += F.length()) {
                    FloatVector bx = FloatVector.fromArray(F, b, bOff + run + i);
                    VectorMask<Float> alive = bx.fma(uv, vv).compare(VectorOperators.GT, 0f);
                    zero.blend(FloatVector.fromArray(F, a, aOff + run + i), alive).fma(pv, bx.fma(qv, hv)).intoArray(out, outOff + run + i);
                }
                for (; i < inner; i++) {
                    float bi = b[bOff + run + i], ai = Math.fma(bi, u, v) > 0f ? a[aOff + run + i] : 0f;
                    out[outOff + run + i] = Math.fma(ai, p, Math.fma(bi, q, h));
                }
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
