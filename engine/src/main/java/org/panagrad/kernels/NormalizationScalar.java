package org.panagrad.kernels;

/** Plain-loop twins of {@link Normalization}. */
final class NormalizationScalar {
    private NormalizationScalar() {}

    /** Channels [c0, c1) of {@link Normalization#moments}. */
    static void moments(int outer, int channels, int c0, int c1, int inner, float[] x, int xOff, float[] out, int outOff) {
        for (int c = c0; c < c1; c++) {
            float shift = x[xOff + c * inner];
            double s1 = 0, s2 = 0;
            for (int o = 0; o < outer; o++) {
                int at = xOff + (o * channels + c) * inner;
                float r1 = 0, r2 = 0;
                for (int i = 0; i < inner; i++) {
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
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float a = scale[scaleOff + c], b = shift[shiftOff + c];
                for (int i = 0; i < inner; i++) out[outOff + run + i] = Math.fma(x[xOff + run + i], a, b);
            }
        }
    }
    static void affinePair(int outer, int channels, int inner, float[] a, int aOff, float[] sa, int saOff,
                           float[] ha, int haOff, float[] b, int bOff, float[] sb, int sbOff, float[] hb, int hbOff,
                           float[] out, int outOff) {
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float p = sa[saOff + c], q = sb[sbOff + c], h = ha[haOff + c] + hb[hbOff + c];
                for (int i = 0; i < inner; i++) out[outOff + run + i] = Math.fma(a[aOff + run + i], p, Math.fma(b[bOff + run + i], q, h));
            }
        }
    }
}
