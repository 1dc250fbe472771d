package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise convolutions (one input channel per group, {@link ConvShape#depthwise}) computed directly, without
 * patches or GEMM, whose product would have one row per group. Each output row of each output channel is a sum
 * over the kernel's taps of its input channel's row, shifted, times the tap's weight: with stride 1 along the
 * width the shifted rows are contiguous and each tap is a vector FMA along the row; the input gradient adds the
 * same way into the input's rows, and the weight gradient is one dot product per tap and row. Where the
 * stride along the width is not 1, and past the last whole vector, elements go one by one with the same fused
 * multiply-adds, so the SIMD body and its scalar twin agree bit for bit on the forward pass and the input
 * gradient (the weight gradient's dot products sum in lanes, then across them).
 */
final class Depthwise {
    private Depthwise() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /** y for images [n0, n1): each output channel from its group's one input channel (bias first, when given; ReLU last). */
    static void forward(ConvShape s, int n0, int n1, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                        boolean relu, float[] y, int yOff, boolean simd) {
        int p = s.positions();
        for (int n = n0; n < n1; n++) {
            for (int o = 0; o < s.outChannels(); o++) {
                Elementwise.fill(p, bias == null ? 0f : bias[biasOff + o], y, yOff + n * s.outImageSize() + o * p);
            }
        }
        taps(s, n0, n1, x, xOff, w, wOff, y, yOff, false, simd);
        if (relu) {
            for (int q = yOff + n0 * s.outImageSize(), end = yOff + n1 * s.outImageSize(); q < end; q++) y[q] = Math.max(y[q], 0f);
        }
    }

    /** dx of images [n0, n1): each tap's weight times dy's rows, added into the input's rows. */
    static void inputGradient(ConvShape s, int n0, int n1, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff,
                              boolean simd) {
        Elementwise.fill((n1 - n0) * s.imageSize(), 0f, dx, dxOff + n0 * s.imageSize());
        taps(s, n0, n1, dx, dxOff, w, wOff, dy, dyOff, true, simd);
    }

    /**
     * For each output row and tap, the output row and the input elements under the tap: y += w x (forward), or
     * x += w y (back, where x is the input gradient and y the output's cotangent).
     */
    private static void taps(ConvShape s, int n0, int n1, float[] x, int xOff, float[] w, int wOff, float[] y, int yOff,
                             boolean back, boolean simd) {
        int oh = s.outHeight(), ow = s.outWidth(), m = s.groupOutChannels(), hw = s.height() * s.width(), p = s.positions();
        int stride = s.strideW();
        for (int n = n0; n < n1; n++) {
            for (int o = 0; o < s.outChannels(); o++) {
                int in = xOff + n * s.imageSize() + o / m * hw, out = yOff + n * s.outImageSize() + o * p;
                for (int r = 0; r < oh; r++) {
                    for (int i = 0; i < s.kh(); i++) {
                        int ih = r * s.strideH() + i * s.dilationH() - s.padH();
                        if (ih < 0 || ih >= s.height()) continue;
                        for (int j = 0; j < s.kw(); j++) {
                            int shift = j * s.dilationW() - s.padW();
                            int lo = Patches.firstInside(shift, stride), hi = Math.min(ow, Patches.lastInside(shift, stride, s.width()) + 1);
                            if (lo >= hi) continue;
                            float wv = w[wOff + (o * s.kh() + i) * s.kw() + j];
                            int xi = in + ih * s.width() + lo * stride + shift, yi = out + r * ow + lo;
                            if (back) fma(wv, y, yi, 1, x, xi, stride, hi - lo, simd);
                            else fma(wv, x, xi, stride, y, yi, 1, hi - lo, simd);
                        }
                    }
                }
            }
        }
    }

    /** dw (+= with accumulate) summed over images [n0, n1): per tap, the dot products of dy's rows with x's shifted rows. */
    static void weightGradient(ConvShape s, int n0, int n1, float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff,
                               boolean accumulate, boolean simd) {
        int oh = s.outHeight(), ow = s.outWidth(), m = s.groupOutChannels(), hw = s.height() * s.width(), p = s.positions();
        int taps = s.kh() * s.kw();
        if (!accumulate) Elementwise.fill(s.outChannels() * taps, 0f, dw, dwOff);
        for (int n = n0; n < n1; n++) {
            for (int o = 0; o < s.outChannels(); o++) {
                int in = xOff + n * s.imageSize() + o / m * hw, out = dyOff + n * s.outImageSize() + o * p;
                for (int i = 0; i < s.kh(); i++) {
                    for (int j = 0; j < s.kw(); j++) {
                        int shift = j * s.dilationW() - s.padW();
                        int lo = Patches.firstInside(shift, s.strideW()), hi = Math.min(ow, Patches.lastInside(shift, s.strideW(), s.width()) + 1);
                        if (lo >= hi) continue;
                        float sum = 0f;
                        for (int r = 0; r < oh; r++) {
                            int ih = r * s.strideH() + i * s.dilationH() - s.padH();
                            if (ih < 0 || ih >= s.height()) continue;
                            sum += dot(x, in + ih * s.width() + lo * s.strideW() + shift, s.strideW(), dy, out + r * ow + lo, hi - lo, simd);
                        }
                        dw[dwOff + (o * s.kh() + i) * s.kw() + j] += sum;
                    }
                }
            }
        }
    }

    /** b[bOff + q * bStride] = fma(a[aOff + q * aStride], wv, b[...]) for q < len: vectors where both strides are 1. */
    private static void fma(float wv, float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, int len, boolean simd) {
        int q = 0;
        if (simd && aStride == 1 && bStride == 1) {
            FloatVector wvec = FloatVector.broadcast(F, wv);
            for (int end = F.loopBound(len); q < end; q += F.length()) {
                FloatVector.fromArray(F, a, aOff + q).fma(wvec, FloatVector.fromArray(F, b, bOff + q)).intoArray(b, bOff + q);
            }
        }
        for (; q < len; q++) b[bOff + q * bStride] = Math.fma(a[aOff + q * aStride], wv, b[bOff + q * bStride]);
    }

    /** The sum of x[src + q * stride] * g[dg + q] for q < len. */
    private static float dot(float[] x, int src, int stride, float[] g, int dg, int len, boolean simd) {
        int q = 0;
        float sum = 0f;
        if (simd && stride == 1 && len >= F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int end = F.loopBound(len); q < end; q += F.length()) {
                acc = FloatVector.fromArray(F, x, src + q).fma(FloatVector.fromArray(F, g, dg + q), acc);
            }
            sum = LaneSum.ORDERED_REDUCTION ? acc.reduceLanes(VectorOperators.ADD) : LaneSum.tree(acc);
        }
        for (; q < len; q++) sum = Math.fma(x[src + q * stride], g[dg + q], sum);
        return sum;
    }
}
