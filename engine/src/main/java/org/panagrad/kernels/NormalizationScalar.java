package org.panagrad.kernels;

import java.util.Arrays;
/** Plain-loop twins of {@link Normalization}. */
final class NormalizationScalar {
    private NormalizationScalar() {}

    /** Images [o0, o1) of {@link Normalization#moments} into acc, as the SIMD body. */
    static void moments(int channels, int o0, int o1, int inner, float[] x, int xOff, double[] acc, int accOff) {
        Arrays.fill(acc, accOff, accOff + 2 * channels, 0);
        for (int o = o0; o < o1; o++) {
            for (int c = 0; c < channels; c++) {
                float shift = x[xOff + c * inner];
                int at = xOff + (o * channels + c) * inner;
                float r1 = 0, r2 = 0;
                for (int i = 0; i < inner; i++) {
                    float d = x[at + i] - shift;
                    r1 += d;
                    r2 += d * d;
                }
                acc[accOff + c] += r1;
                acc[accOff + channels + c] += r2;
            }
        }
    }

    /** Images [o0, o1) of {@link Normalization#channelDots} into acc: each run's sum and dot in float, in order, as {@link ReductionsScalar}. */
    static void channelDots(int channels, int o0, int o1, int inner, float[] g, int gOff, float[] x, int xOff,
                            double[] acc, int accOff) {
        Arrays.fill(acc, accOff, accOff + 2 * channels, 0);
        for (int o = o0; o < o1; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float rs = 0f, rd = 0f;
                for (int i = 0; i < inner; i++) {
                    rs += g[gOff + run + i];
                    rd += g[gOff + run + i] * x[xOff + run + i];
                }
                acc[accOff + c] += rs;
                acc[accOff + channels + c] += rd;
            }
        }
    }

    static void maskedChannelDots(int channels, int o0, int o1, int inner, float[] g, int gOff, float[] x, int xOff,
                                  float[] fs, int fsOff, float[] fh, int fhOff, double[] acc, int accOff) {
        Arrays.fill(acc, accOff, accOff + 2 * channels, 0);
        for (int o = o0; o < o1; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float a = fs[fsOff + c], b = fh[fhOff + c], rs = 0f, rd = 0f;
                for (int i = 0; i < inner; i++) {
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
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float a = scale[scaleOff + c], b = shift[shiftOff + c];
                for (int i = 0; i < inner; i++) out[outOff + run + i] = Math.fma(x[xOff + run + i], a, b);
            }
        }
    }
    static void affineRelu(int outer, int channels, int inner, float[] x, int xOff, float[] scale, int scaleOff,
                           float[] shift, int shiftOff, float[] out, int outOff) {
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float a = scale[scaleOff + c], b = shift[shiftOff + c];
                for (int i = 0; i < inner; i++) {
                    float v = Math.fma(x[xOff + run + i], a, b);
                    out[outOff + run + i] = v > 0f ? v : 0f;
                }
            }
        }
    }

    static void affineAddRelu(int outer, int channels, int inner, float[] x, int xOff, float[] scale, int scaleOff,
                              float[] shift, int shiftOff, float[] r, int rOff, float[] out, int outOff) {
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float a = scale[scaleOff + c], b = shift[shiftOff + c];
                for (int i = 0; i < inner; i++) {
                    float v = Math.fma(x[xOff + run + i], a, b) + r[rOff + run + i];
                    out[outOff + run + i] = v > 0f ? v : 0f;
                }
            }
        }
    }

    static void affinePairRelu(int outer, int channels, int inner, float[] a, int aOff, float[] sa, int saOff,
                               float[] ha, int haOff, float[] b, int bOff, float[] sb, int sbOff, float[] hb, int hbOff,
                               float[] out, int outOff) {
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float p = sa[saOff + c], q = sb[sbOff + c], h = ha[haOff + c] + hb[hbOff + c];
                for (int i = 0; i < inner; i++) {
                    float v = Math.fma(a[aOff + run + i], p, Math.fma(b[bOff + run + i], q, h));
                    out[outOff + run + i] = v > 0f ? v : 0f;
                }
            }
        }
    }

    static void maskedAffinePair(int outer, int channels, int inner, float[] a, int aOff, float[] sa, int saOff,
                                 float[] ha, int haOff, float[] b, int bOff, float[] sb, int sbOff, float[] hb, int hbOff,
                                 float[] fs, int fsOff, float[] fh, int fhOff, float[] out, int outOff) {
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                float p = sa[saOff + c], q = sb[sbOff + c], h = ha[haOff + c] + hb[hbOff + c], u = fs[fsOff + c], v = fh[fhOff + c];
                for (int i = 0; i < inner; i++) {
                    float bi = b[bOff + run + i], ai = Math.fma(bi, u, v) > 0f ? a[aOff + run + i] : 0f;
                    out[outOff + run + i] = Math.fma(ai, p, Math.fma(bi, q, h));
                }
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
