package org.panagrad.kernels;

/**
 * The forward pass of a convolution with its output channels in the lanes, for groups of whole four-vector blocks
 * of output channels (resnet8's layer3, 64), and, in the same form, the stride-1 input gradient with the input
 * channels in the lanes. Per image and group, the image copied zero-padded and channel-last (padded position-major,
 * the group's cg channels of a position together), then {@code Y_g^T (positions x og) = P · W_g^T} on
 * {@link VectorColumnsProduct}, whose row for output position (r, q) is read in place from that copy: for each tap
 * row i, one run of {@code kw cg} values (taps j, then channels c) from padded position {@code (r sH + i, q sW)} on;
 * B is the weight arranged {@code (i, j, c)}-major, a row of og per patch row. {@link ImplicitPatches#forward}'s
 * products put the positions in the lanes at the padded plane's width: on 7 x 7 images (a 9-wide plane) 64 columns
 * computed for 49, and with 64 rows of A eight broadcasts per 16 multiply-adds; here the positions of
 * {@link #IMAGES_PER_PRODUCT} images in one product, 392 rows for 392, all but the last eight with six broadcasts
 * per 24 (one image alone took 56 rows for 49).
 * <p>
 * The input gradient at stride 1 is that forward pass of dY, padded by {@code kh - 1 - padH} ({@code kw - 1 - padW}),
 * with the weight flipped and its channel axes swapped: {@code dX[c](e, f)} is the sum over (i', j', o) of
 * {@code dYpadded[o](e + i', f + j') w[o][c](kh - 1 - i', kw - 1 - j')}.
 * <p>
 * Each output is summed from zero with fused multiply-adds in one order (the product's SIMD body and its scalar
 * twin alike): over (i, j, c) for the forward pass, then the bias added and ReLU applied, as the other paths do in
 * their own order; over (i', j', o) for the input gradient.
 */
final class ChannelLanesConvolution {
    /**
     * Positions per image of the product (output positions for the forward pass, input positions for the input
     * gradient) up to which this path is taken. It gains where the phase planes' padding wastes a
     * large share of their columns (a 7 x 7 output computed over a 9-wide plane: 64 columns for 49); larger planes
     * waste less and were not measured here, so they stay on the phase planes.
     */
    static final int MAX_POSITIONS = 64;

    /**
     * Images whose positions share one product, one after another in its rows. One image's 49 positions took 56
     * rows (eight blocks of six, then a block of eight for one of them); eight images' 392 are 16 blocks of 24 and
     * one of eight, none of them padding.
     */
    static final int IMAGES_PER_PRODUCT = 8;

    private ChannelLanesConvolution() {}

    /**
     * Whether the forward pass of s runs here: not depthwise, a kernel wider than 1 x 1, stride and dilation 1,
     * output channels per group in whole four-vector blocks (16 lanes only, where that is a multiple of 64), at most
     * {@link #MAX_POSITIONS} output positions, and the scratch within {@link ImplicitPatches#MAX_SCRATCH_FLOATS}. Measured (ConvAlternating,
     * thread CPU time, one JVM, against the phase planes of {@link ImplicitPatches}): resnet8's layer3.conv2 (64
     * channels, 7 x 7) 0.84x the time; its stride-2 layer3.conv1 level (0.98 [0.93-1.13]), where the copy into
     * the channel-last image took 1.3 of its 2.9 ms (the product alone 1.6). Copied channel by channel instead
     * (plane read front to back, stores cg apart) that pass took 0.75x the phase planes' time, but the step with
     * it taken was level against the step without (session 20: 0.978 and 1.026 in the two jar orders), so stride 2
     * stays on the phase planes. The 1 x 1 stride-2 downsample 1.9x (32 steps of k per block, and a copy of every
     * input element for the quarter it reads). 32 output channels (two vectors, rows8x2) at 14 x 14 with room for
     * 256 positions: layer2.conv2's forward pass took 1.16-1.22x the time, slower, so not taken.
     */
    static boolean applies(ConvShape s) {
        return denseStrideOneKernel(s) && s.positions() <= MAX_POSITIONS
                && VectorColumnsProduct.inFourVectorBlocks(s.groupOutChannels()) && scratchFloats(s) <= ImplicitPatches.MAX_SCRATCH_FLOATS;
    }

    /** What both passes need: not depthwise, a kernel wider than 1 x 1, stride and dilation 1. */
    private static boolean denseStrideOneKernel(ConvShape s) {
        return !s.depthwise() && s.kh() * s.kw() > 1 && s.strideH() == 1 && s.strideW() == 1 && s.dilationH() == 1 && s.dilationW() == 1;
    }

    /** Floats of one group's channel-last padded copy of the image. */
    private static int imageFloats(ConvShape s) {
        return paddedFloats(s.height(), s.width(), s.padH(), s.padW(), s.groupChannels());
    }

    /** Floats of one group's channel-last padded copy of dY (the input gradient's). */
    private static int gradientImageFloats(ConvShape s) {
        return paddedFloats(s.outHeight(), s.outWidth(), gradientPadH(s), gradientPadW(s), s.groupOutChannels());
    }

    /** Floats of a channel-last copy of h x w planes of c channels, padded by (padH, padW) on each side. */
    private static int paddedFloats(int h, int w, int padH, int padW, int c) {
        return (h + 2 * padH) * (w + 2 * padW) * c;
    }

    /** The input gradient's padding of dY's rows (gradientPadW: columns), so every tap of the flipped kernel reaches it. */
    private static int gradientPadH(ConvShape s) {
        return s.kh() - 1 - s.padH();
    }

    private static int gradientPadW(ConvShape s) {
        return s.kw() - 1 - s.padW();
    }

    /** Rows of the product: the positions of {@link #IMAGES_PER_PRODUCT} images in whole blocks of {@link VectorColumnsProduct#ROWS}. */
    static int productRows(ConvShape s) {
        return VectorColumnsProduct.paddedRows(IMAGES_PER_PRODUCT * s.positions());
    }

    /** The padded copies, the arranged weight of every group, then the product. */
    static int scratchFloats(ConvShape s) {
        return IMAGES_PER_PRODUCT * imageFloats(s) + arrangedWeightFloats(s)
                + productRows(s) * VectorColumnsProduct.leadingDimension(s.groupOutChannels());
    }

    /** Floats of the weight as {@link #arrangeWeight} lays it out. */
    static int arrangedWeightFloats(ConvShape s) {
        return arrangedFloats(s, false);
    }

    /**
     * y = act(conv(x, w) + bias) of images [n0, n1), as {@link Convolution#forward}, with the weight arranged by
     * {@link #arrangeWeight} at arranged[arrangedOff..] (null: arranged here into cols).
     */
    static void forward(ConvShape s, int n0, int n1, float[] x, int xOff, float[] w, int wOff, float[] arranged, int arrangedOff,
                        float[] bias, int biasOff, boolean relu, float[] y, int yOff, float[] cols, int[] rows, boolean simd) {
        if (arranged == null) {
            arranged = cols;
            arrangedOff = IMAGES_PER_PRODUCT * imageFloats(s);
            arrangeWeight(s, w, wOff, cols, arrangedOff);
        }
        run(s.groupChannels(), s.groupOutChannels(), s.groups(), s.height(), s.width(), s.padH(), s.padW(), s.kh(), s.kw(),
                s.strideH(), s.strideW(), s.outHeight(), s.outWidth(), n0, n1, x, xOff, s.imageSize(), arranged, arrangedOff,
                bias, biasOff, relu, y, yOff, s.outImageSize(), cols, rows, simd);
    }

    /**
     * Whether the input gradient of s runs here: not depthwise, a kernel wider than 1 x 1, stride and dilation 1,
     * padding that every input element's taps reach ({@code padH < kh}, {@code padW < kw}), input channels per group
     * in whole four-vector blocks, at most {@link #MAX_POSITIONS} input positions, and the scratch within
     * {@link ImplicitPatches#MAX_SCRATCH_FLOATS}. Measured (ConvAlternating, thread CPU time, one JVM, against
     * {@link ImplicitPatches#inputGradient}): resnet8's layer3.conv2 0.80-0.81x the time (4.2 -> 3.4 ms, both jar
     * orders); with 32 input channels (two vectors) layer2.conv2's 1.11-1.16x, so those stay there. The stride-2
     * input gradient would need one product per input phase and was not built.
     */
    static boolean inputGradientApplies(ConvShape s) {
        return denseStrideOneKernel(s) && s.height() * s.width() <= MAX_POSITIONS && s.padH() < s.kh() && s.padW() < s.kw()
                && VectorColumnsProduct.inFourVectorBlocks(s.groupChannels()) && inputGradientScratchFloats(s) <= ImplicitPatches.MAX_SCRATCH_FLOATS;
    }

    /**
     * Rows of the input gradient's product: the input positions of {@link #IMAGES_PER_PRODUCT} images in whole blocks
     * of {@link VectorColumnsProduct#ROWS}.
     */
    static int inputGradientRows(ConvShape s) {
        return VectorColumnsProduct.paddedRows(IMAGES_PER_PRODUCT * s.height() * s.width());
    }

    /** The padded copies of dY channel-last, the arranged weight of every group, then the product. */
    static int inputGradientScratchFloats(ConvShape s) {
        return IMAGES_PER_PRODUCT * gradientImageFloats(s) + inputGradientArrangedFloats(s) + inputGradientRows(s) * VectorColumnsProduct.leadingDimension(s.groupChannels());
    }

    /** Floats of the weight as {@link #arrangeInputGradientWeight} lays it out. */
    static int inputGradientArrangedFloats(ConvShape s) {
        return arrangedFloats(s, true);
    }

    /**
     * Each group's weight flipped, as rows (i', j', o) of cg values, ld apart, at to[at..]: row (i', j', o) holds
     * w[o][c](kh - 1 - i', kw - 1 - j') for every c. Arranged once per call, as {@link #arrangeWeight}.
     */
    static void arrangeInputGradientWeight(ConvShape s, float[] w, int wOff, float[] to, int at) {
        arrange(s, true, w, wOff, to, at);
    }

    /**
     * dx = the input gradient of images [n0, n1) for dy, as {@link Convolution#inputGradient}, with the weight arranged
     * by {@link #arrangeInputGradientWeight} at arranged[arrangedOff..] (null: arranged here into cols).
     */
    static void inputGradient(ConvShape s, int n0, int n1, float[] dy, int dyOff, float[] w, int wOff, float[] arranged, int arrangedOff,
                              float[] dx, int dxOff, float[] cols, int[] rows, boolean simd) {
        if (arranged == null) {
            arranged = cols;
            arrangedOff = IMAGES_PER_PRODUCT * gradientImageFloats(s);
            arrangeInputGradientWeight(s, w, wOff, cols, arrangedOff);
        }
        run(s.groupOutChannels(), s.groupChannels(), s.groups(), s.outHeight(), s.outWidth(), gradientPadH(s), gradientPadW(s), s.kh(), s.kw(), 1, 1,
                s.height(), s.width(), n0, n1, dy, dyOff, s.outImageSize(), arranged, arrangedOff, null, 0, false, dx, dxOff,
                s.imageSize(), cols, rows, simd);
    }

    /**
     * The product of images [n0, n1) for the convolution of cg channels (per group) of h x w planes, padded by
     * (padH, padW), to og channels of oh x ow planes, with the weight arranged at arranged[arrangedOff..] as rows
     * (tap row, tap column, channel of x) of og values ({@link #arrangeWeight}'s layout for the forward pass,
     * {@link #arrangeInputGradientWeight}'s for the input gradient, where x is dY); images xImage floats apart from
     * x[xOff..], yImage apart from y[yOff..]. Up to {@link #IMAGES_PER_PRODUCT} images at a time go into copies one
     * after another in cols, and their positions into the rows of one product.
     */
    private static void run(int cg, int og, int groups, int h, int w, int padH, int padW, int kh, int kw, int sH, int sW, int oh, int ow,
                            int n0, int n1, float[] x, int xOff, int xImage, float[] arranged, int arrangedOff, float[] bias, int biasOff,
                            boolean relu, float[] y, int yOff, int yImage, float[] cols, int[] rows, boolean simd) {
        int kg = kh * kw * cg, p = oh * ow, ld = VectorColumnsProduct.leadingDimension(og), wp = w + 2 * padW;
        int image = paddedFloats(h, w, padH, padW, cg), most = Math.min(IMAGES_PER_PRODUCT, n1 - n0);
        int product = IMAGES_PER_PRODUCT * image + groups * kg * ld;
        // The borders stay zero: each image writes only the inside.
        Elementwise.fill(most * image, 0f, cols, 0);
        for (int im = n0; im < n1; im += most) {
            int images = Math.min(most, n1 - im), m = VectorColumnsProduct.paddedRows(images * p);
            if (im == n0 || images < most) positionRows(images, image, oh, ow, sH, sW, wp, cg, m, rows);
            for (int g = 0; g < groups; g++) {
                for (int i = 0; i < images; i++) {
                    channelLast(cg, h, w, padH, padW, x, xOff + (im + i) * xImage + g * cg * h * w, cols, i * image);
                }
                VectorColumnsProduct.multiply(m, kh, kw * cg, wp * cg, 1, cols, 0, rows, arranged, arrangedOff + g * kg * ld,
                        kw * cg * ld, cols, product, false, og, simd);
                for (int i = 0; i < images; i++) {
                    writeOut(og, p, cols, product + i * p * ld, ld, bias, bias == null ? 0 : biasOff + g * og, relu, y,
                            yOff + (im + i) * yImage + g * og * p);
                }
            }
        }
    }

    /**
     * The row table of a product over the positions of images copies, image floats apart: image i's output position
     * (r, q) reads from padded position (r sH, q sW) of copy i; rows past the positions, up to m, repeat the last.
     */
    private static void positionRows(int images, int image, int oh, int ow, int sH, int sW, int wp, int cg, int m, int[] rows) {
        int pos = 0;
        for (int i = 0; i < images; i++) {
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) rows[pos++] = i * image + (r * sH * wp + q * sW) * cg;
            }
        }
        for (; pos < m; pos++) rows[pos] = rows[images * oh * ow - 1];
    }

    /**
     * Each group's weight as rows (i, j, c) of og values, ld apart, at to[at..]. It does not depend on the images,
     * so a call split over threads arranges it once, before the split.
     */
    static void arrangeWeight(ConvShape s, float[] w, int wOff, float[] to, int at) {
        arrange(s, false, w, wOff, to, at);
    }

    /**
     * Floats of the weight as {@link #arrange} lays it out: per group kh kw rows for each channel the product reads
     * (cg, or og of dY when flipped), each of ld floats for the channels in the lanes (og, or cg when flipped).
     */
    private static int arrangedFloats(ConvShape s, boolean flipped) {
        int read = flipped ? s.groupOutChannels() : s.groupChannels(), lanes = flipped ? s.groupChannels() : s.groupOutChannels();
        return s.groups() * s.kh() * s.kw() * read * VectorColumnsProduct.leadingDimension(lanes);
    }

    /**
     * The weight as {@link #run}'s B for the forward pass ({@link #arrangeWeight}) or, flipped, for the input
     * gradient ({@link #arrangeInputGradientWeight}), which is the forward pass of the weight flipped with its
     * channel axes swapped: w'[c][o](i, j) = w[o][c](kh - 1 - i, kw - 1 - j). Rows (tap row, tap column, channel
     * read) of the lanes' channels, ld apart.
     */
    private static void arrange(ConvShape s, boolean flipped, float[] w, int wOff, float[] to, int at) {
        int cg = s.groupChannels(), og = s.groupOutChannels(), kh = s.kh(), kw = s.kw();
        int read = flipped ? og : cg, ld = VectorColumnsProduct.leadingDimension(flipped ? cg : og), kg = kh * kw * read;
        for (int g = 0; g < s.groups(); g++) {
            for (int o = 0; o < og; o++) {
                for (int c = 0; c < cg; c++) {
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int tap = flipped ? (kh - 1 - i) * kw + kw - 1 - j : i * kw + j;
                            int row = g * kg + tap * read + (flipped ? o : c), lane = flipped ? c : o;
                            to[at + row * ld + lane] = w[wOff + (((g * og + o) * cg + c) * kh + i) * kw + j];
                        }
                    }
                }
            }
        }
    }

    /**
     * A group's channels from x[from..] into the inside of the channel-last padded copy at cols[at..]. Blocks of
     * BLOCK channels go position by position, so each position's stores are contiguous and the reads are BLOCK
     * sequential streams.
     */
    private static void channelLast(int cg, int h, int w, int padH, int padW, float[] x, int from, float[] cols, int at) {
        final int block = 16;
        int plane = h * w, wp = w + 2 * padW;
        int c = 0;
        for (; c + block <= cg; c += block) {
            for (int e = 0; e < h; e++) {
                for (int f = 0; f < w; f++) {
                    int d = at + ((e + padH) * wp + f + padW) * cg + c, src = from + c * plane + e * w + f;
                    for (int k = 0; k < block; k++) cols[d + k] = x[src + k * plane];
                }
            }
        }
        for (; c < cg; c++) {
            for (int e = 0; e < h; e++) {
                for (int f = 0; f < w; f++) cols[at + ((e + padH) * wp + f + padW) * cg + c] = x[from + c * plane + e * w + f];
            }
        }
    }

    /** The product (position-major, ld apart) into y[out..] channel-major, with the bias and ReLU. */
    private static void writeOut(int og, int p, float[] cols, int product, int ld, float[] bias, int biasOff, boolean relu,
                                 float[] y, int out) {
        for (int o = 0; o < og; o++) {
            float b = bias == null ? 0f : bias[biasOff + o];
            for (int pos = 0, src = product + o; pos < p; pos++, src += ld) {
                float v = cols[src] + b;
                y[out + o * p + pos] = relu ? Math.max(v, 0f) : v;
            }
        }
    }
}
