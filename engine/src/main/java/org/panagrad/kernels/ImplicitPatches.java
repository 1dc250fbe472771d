package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolutions of stride 1 with no patch matrix (implicit im2col): the image goes once into a zero-padded copy
 * ({@code hp x wp} per channel), in which patch row {@code (c, i, j)} is the contiguous run from
 * {@code c hp wp + i dilH wp + j dilW}, and the GEMM's packing reads B's rows straight from there
 * ({@link Gemm#gemmRows}). The product is computed at the padded width (positions {@code oh * wp + ow}), whose
 * last {@code wp - outWidth} columns of each row are discarded when the result is copied out (with the bias and
 * ReLU). So a patch value goes from the image to a packed panel once, instead of being written into a patch
 * block and read back; the price is {@code wp / outWidth} more columns in the GEMM.
 * <p>
 * The input gradient of a stride-1 convolution is itself one: of dY padded by {@code (k - 1) dil - pad}, with
 * the weight flipped in both axes and its two channel axes swapped, so it runs here too, with no col2im.
 * {@code simd} chooses the bodies of the padded copy and of the copy out (the GEMM follows Simd.ENABLED), so
 * tests run both in one JVM.
 */
final class ImplicitPatches {
    private ImplicitPatches() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /** Above this many floats of scratch per thread, a convolution builds patch blocks instead. */
    static final int MAX_SCRATCH_FLOATS = 1 << 20;

    /** Whether the forward pass of s runs here. */
    static boolean forward(ConvShape s) {
        return strideOne(s) && forwardScratch(s) <= MAX_SCRATCH_FLOATS;
    }

    /** Whether the input gradient of s runs here: a convolution of dY padded by (k - 1) dil - pad >= 0. */
    static boolean inputGradient(ConvShape s) {
        return strideOne(s) && (s.kh() - 1) * s.dilationH() >= s.padH() && (s.kw() - 1) * s.dilationW() >= s.padW()
                && inputGradientScratch(s) <= MAX_SCRATCH_FLOATS;
    }

    private static boolean strideOne(ConvShape s) {
        return !s.depthwise() && !s.patchesAreInput() && s.strideH() == 1 && s.strideW() == 1;
    }

    /** Floats of scratch that s needs here (0 when neither pass runs here). */
    static int scratchFloats(ConvShape s) {
        return Math.max(forward(s) ? forwardScratch(s) : 0, inputGradient(s) ? inputGradientScratch(s) : 0);
    }

    /** Ints of the row table that s needs here. */
    static int rowTableSize(ConvShape s) {
        return Math.max(s.patchRows(), s.groupOutChannels() * s.kh() * s.kw());
    }

    private static int forwardScratch(ConvShape s) {
        return scratch(s.groupChannels(), s.height(), s.width(), s.padH(), s.padW(), s.groupOutChannels(), s.kh(), s.kw(),
                s.dilationH(), s.dilationW());
    }

    private static int inputGradientScratch(ConvShape s) {
        int ph = (s.kh() - 1) * s.dilationH() - s.padH(), pw = (s.kw() - 1) * s.dilationW() - s.padW();
        return scratch(s.groupOutChannels(), s.outHeight(), s.outWidth(), ph, pw, s.groupChannels(), s.kh(), s.kw(),
                s.dilationH(), s.dilationW()) + s.outChannels() * s.patchRows();
    }

    /** The padded copy and the product at the padded width. */
    private static int scratch(int cin, int h, int w, int padH, int padW, int cout, int kh, int kw, int dilH, int dilW) {
        int hp = h + 2 * padH, wp = w + 2 * padW, oh = hp - (kh - 1) * dilH, ow = wp - (kw - 1) * dilW;
        return cin * hp * wp + cout * ((oh - 1) * wp + ow);
    }

    /** y = act(conv(x, w) + bias) of images [n0, n1), as {@link Convolution#forward}. */
    static void forward(ConvShape s, int n0, int n1, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                        boolean relu, float[] y, int yOff, float[] cols, int[] rows, boolean simd) {
        int cg = s.groupChannels(), og = s.groupOutChannels(), kg = s.patchRows(), p = s.positions();
        prepare(cg, s.height(), s.width(), s.padH(), s.padW(), s.kh(), s.kw(), s.dilationH(), s.dilationW(), cols, rows);
        for (int n = n0; n < n1; n++) {
            for (int g = 0; g < s.groups(); g++) {
                image(cg, s.height(), s.width(), s.padH(), s.padW(), og, s.kh(), s.kw(), s.dilationH(), s.dilationW(),
                        x, xOff + n * s.imageSize() + g * cg * s.height() * s.width(), w, wOff + g * og * kg,
                        bias, biasOff + g * og, relu, y, yOff + n * s.outImageSize() + g * og * p, cols, rows, simd);
            }
        }
    }

    /** dx = the input gradient of images [n0, n1) for dy, as {@link Convolution#inputGradient}. */
    static void inputGradient(ConvShape s, int n0, int n1, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff,
                              float[] cols, int[] rows, boolean simd) {
        int cg = s.groupChannels(), og = s.groupOutChannels(), kh = s.kh(), kw = s.kw(), taps = kh * kw;
        int ph = (kh - 1) * s.dilationH() - s.padH(), pw = (kw - 1) * s.dilationW() - s.padW();
        // The flipped weight, per group [C/groups][O/groups * kh * kw], after the scratch the product uses.
        int flipped = inputGradientScratch(s) - s.outChannels() * s.patchRows();
        for (int o = 0; o < s.outChannels(); o++) {
            int g = o / og, ol = o % og;
            for (int c = 0; c < cg; c++) {
                int from = wOff + (o * cg + c) * taps, to = flipped + (g * cg + c) * og * taps + ol * taps;
                for (int t = 0; t < taps; t++) cols[to + t] = w[from + taps - 1 - t];
            }
        }
        prepare(og, s.outHeight(), s.outWidth(), ph, pw, kh, kw, s.dilationH(), s.dilationW(), cols, rows);
        for (int n = n0; n < n1; n++) {
            for (int g = 0; g < s.groups(); g++) {
                image(og, s.outHeight(), s.outWidth(), ph, pw, cg, kh, kw, s.dilationH(), s.dilationW(),
                        dy, dyOff + n * s.outImageSize() + g * og * s.positions(), cols, flipped + g * cg * og * taps,
                        null, 0, false, dx, dxOff + n * s.imageSize() + g * cg * s.height() * s.width(), cols, rows, simd);
            }
        }
    }

    /** Zeroes the padded copy (its borders stay zero: each image writes only the inside) and fills the row table. */
    private static void prepare(int cin, int h, int w, int padH, int padW, int kh, int kw, int dilH, int dilW, float[] cols, int[] rows) {
        int hp = h + 2 * padH, wp = w + 2 * padW;
        Elementwise.fill(cin * hp * wp, 0f, cols, 0);
        for (int c = 0, r = 0; c < cin; c++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) rows[r++] = c * hp * wp + i * dilH * wp + j * dilW;
            }
        }
    }

    /**
     * One image of one group: cin channels of h x w at x[xOff..] padded into cols, the product with wt (cout x
     * cin kh kw at wOff) at the padded width after them, then copied out into y (cout x oh x ow at yOff) with
     * the bias (may be null) and ReLU.
     */
    private static void image(int cin, int h, int w, int padH, int padW, int cout, int kh, int kw, int dilH, int dilW,
                              float[] x, int xOff, float[] wt, int wOff, float[] bias, int biasOff, boolean relu,
                              float[] y, int yOff, float[] cols, int[] rows, boolean simd) {
        int hp = h + 2 * padH, wp = w + 2 * padW, oh = hp - (kh - 1) * dilH, ow = wp - (kw - 1) * dilW;
        int padded = cin * hp * wp, n = (oh - 1) * wp + ow, k = cin * kh * kw;
        for (int c = 0; c < cin; c++) {
            for (int r = 0; r < h; r++) {
                int from = xOff + (c * h + r) * w, to = (c * hp + r + padH) * wp + padW;
                if (simd) System.arraycopy(x, from, cols, to, w);
                else for (int q = 0; q < w; q++) cols[to + q] = x[from + q];
            }
        }
        Gemm.gemmRows(cout, n, k, 1f, wt, wOff, k, cols, rows, 0f, cols, padded, n);
        for (int o = 0; o < cout; o++) {
            float b = bias == null ? 0f : bias[biasOff + o];
            for (int r = 0; r < oh; r++) {
                int from = padded + o * n + r * wp, to = yOff + (o * oh + r) * ow;
                if (simd) copyOut(cols, from, y, to, ow, b, relu);
                else for (int q = 0; q < ow; q++) y[to + q] = relu ? Math.max(cols[from + q] + b, 0f) : cols[from + q] + b;
            }
        }
    }

    private static void copyOut(float[] src, int from, float[] dst, int to, int len, float b, boolean relu) {
        FloatVector bv = FloatVector.broadcast(F, b), zero = FloatVector.zero(F);
        int q = 0;
        for (int end = F.loopBound(len); q < end; q += F.length()) {
            FloatVector v = FloatVector.fromArray(F, src, from + q).add(bv);
            (relu ? v.lanewise(VectorOperators.MAX, zero) : v).intoArray(dst, to + q);
        }
        for (; q < len; q++) dst[to + q] = relu ? Math.max(src[from + q] + b, 0f) : src[from + q] + b;
    }
}
