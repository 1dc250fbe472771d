package org.panagrad.kernels;

/**
 * The forward pass of a convolution with its output channels in the lanes, for groups of whole four-vector blocks
 * of output channels (resnet8's layer3, 64): per image and group, the image copied zero-padded and channel-last
 * (padded position-major, the group's cg channels of a position together), then
 * {@code Y_g^T (positions x og) = P · W_g^T} on {@link VectorColumnsProduct}, whose row for output position (r, q)
 * is read in place from that copy: for each tap row i, one run of {@code kw cg} values (taps j, then channels c)
 * from padded position {@code (r sH + i, q sW)} on; B is the weight arranged {@code (i, j, c)}-major, a row of og
 * per patch row. {@link ImplicitPatches#forward}'s products put the positions in the lanes at the padded plane's
 * width: on 7 x 7 images (a 9-wide plane) 64 columns computed for 49, and with 64 rows of A eight broadcasts per
 * 16 multiply-adds; here 56 rows (whole blocks of eight) for 49, the first 48 with six broadcasts per 24 and the
 * last eight with eight per 16.
 * <p>
 * Each output is summed from zero over (i, j, c) in that order with fused multiply-adds (the product's SIMD body
 * and its scalar twin alike), then the bias added and ReLU applied, as the other paths do in their own order.
 */
final class ChannelLanesForward {
    /**
     * Output positions per image up to which this path is taken. It gains where the phase planes' padding wastes a
     * large share of their columns (a 7 x 7 output computed over a 9-wide plane: 64 columns for 49); larger planes
     * waste less and were not measured here, so they stay on the phase planes.
     */
    static final int MAX_POSITIONS = 64;

    private ChannelLanesForward() {}

    /**
     * Whether the forward pass of s runs here: not depthwise, a kernel wider than 1 x 1, stride and dilation 1,
     * output channels per group in whole four-vector blocks (16 lanes only, where that is a multiple of 64), at most
     * {@link #MAX_POSITIONS} output positions, and the scratch within {@link ImplicitPatches#MAX_SCRATCH_FLOATS}. Measured (ConvAlternating,
     * thread CPU time, one JVM, against the phase planes of {@link ImplicitPatches}): resnet8's layer3.conv2 (64
     * channels, 7 x 7) 0.84x the time; its stride-2 layer3.conv1 level (0.98 [0.93-1.13]); its 1 x 1 stride-2
     * downsample 1.9x (32 steps of k per block, and a copy of every input element for the quarter it reads).
     */
    static boolean applies(ConvShape s) {
        return !s.depthwise() && s.kh() * s.kw() > 1 && s.positions() <= MAX_POSITIONS && s.strideH() == 1 && s.strideW() == 1 && s.dilationH() == 1 && s.dilationW() == 1
                && VectorColumnsProduct.inFourVectorBlocks(s.groupOutChannels()) && scratchFloats(s) <= ImplicitPatches.MAX_SCRATCH_FLOATS;
    }

    private static int paddedHeight(ConvShape s) {
        return s.height() + 2 * s.padH();
    }

    private static int paddedWidth(ConvShape s) {
        return s.width() + 2 * s.padW();
    }

    /** Floats of one group's channel-last padded copy. */
    private static int imageFloats(ConvShape s) {
        return paddedHeight(s) * paddedWidth(s) * s.groupChannels();
    }

    /** Rows of the product: the positions in whole blocks of {@link VectorColumnsProduct#ROWS}. */
    static int productRows(ConvShape s) {
        return VectorColumnsProduct.paddedRows(s.positions());
    }

    /** The padded copy, the arranged weight of every group, then the product. */
    static int scratchFloats(ConvShape s) {
        return imageFloats(s) + arrangedWeightFloats(s) + productRows(s) * VectorColumnsProduct.leadingDimension(s.groupOutChannels());
    }

    /** Floats of the weight as {@link #arrangeWeight} lays it out. */
    static int arrangedWeightFloats(ConvShape s) {
        return s.groups() * s.patchRows() * VectorColumnsProduct.leadingDimension(s.groupOutChannels());
    }

    /**
     * y = act(conv(x, w) + bias) of images [n0, n1), as {@link Convolution#forward}, with the weight arranged by
     * {@link #arrangeWeight} at arranged[arrangedOff..] (null: arranged here into cols).
     */
    static void forward(ConvShape s, int n0, int n1, float[] x, int xOff, float[] w, int wOff, float[] arranged, int arrangedOff,
                        float[] bias, int biasOff, boolean relu, float[] y, int yOff, float[] cols, int[] rows, boolean simd) {
        int cg = s.groupChannels(), og = s.groupOutChannels(), kg = s.patchRows(), p = s.positions();
        int ld = VectorColumnsProduct.leadingDimension(og), wp = paddedWidth(s), m = productRows(s);
        int product = imageFloats(s) + arrangedWeightFloats(s);
        if (arranged == null) {
            arranged = cols;
            arrangedOff = imageFloats(s);
            arrangeWeight(s, w, wOff, cols, arrangedOff);
        }
        // The borders stay zero: each image writes only the inside.
        Elementwise.fill(imageFloats(s), 0f, cols, 0);
        for (int r = 0, pos = 0; r < s.outHeight(); r++) {
            for (int q = 0; q < s.outWidth(); q++) rows[pos++] = (r * s.strideH() * wp + q * s.strideW()) * cg;
        }
        for (int pos = p; pos < m; pos++) rows[pos] = rows[p - 1];
        for (int im = n0; im < n1; im++) {
            for (int g = 0; g < s.groups(); g++) {
                channelLast(s, x, xOff + im * s.imageSize() + g * cg * s.height() * s.width(), cols);
                VectorColumnsProduct.multiply(m, s.kh(), s.kw() * cg, wp * cg, 1, cols, 0, rows, arranged, arrangedOff + g * kg * ld,
                        s.kw() * cg * ld, cols, product, false, og, simd);
                writeOut(og, p, cols, product, ld, bias, bias == null ? 0 : biasOff + g * og, relu, y,
                        yOff + im * s.outImageSize() + g * og * p);
            }
        }
    }

    /**
     * Each group's weight as rows (i, j, c) of og values, ld apart, at to[at..]. It does not depend on the images,
     * so a call split over threads arranges it once, before the split.
     */
    static void arrangeWeight(ConvShape s, float[] w, int wOff, float[] to, int at) {
        int cg = s.groupChannels(), og = s.groupOutChannels(), kh = s.kh(), kw = s.kw();
        int ld = VectorColumnsProduct.leadingDimension(og);
        for (int g = 0; g < s.groups(); g++) {
            for (int o = 0; o < og; o++) {
                for (int c = 0; c < cg; c++) {
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            to[at + (g * s.patchRows() + (i * kw + j) * cg + c) * ld + o] = w[wOff + (((g * og + o) * cg + c) * kh + i) * kw + j];
                        }
                    }
                }
            }
        }
    }

    /**
     * A group's channels from x[from..] into the inside of the channel-last padded copy at cols[0..]. Blocks of
     * BLOCK channels go position by position, so each position's stores are contiguous and the reads are BLOCK
     * sequential streams.
     */
    private static void channelLast(ConvShape s, float[] x, int from, float[] cols) {
        final int block = 16;
        int cg = s.groupChannels(), h = s.height(), w = s.width(), plane = h * w, wp = paddedWidth(s);
        int c = 0;
        for (; c + block <= cg; c += block) {
            for (int e = 0; e < h; e++) {
                for (int f = 0; f < w; f++) {
                    int d = ((e + s.padH()) * wp + f + s.padW()) * cg + c, src = from + c * plane + e * w + f;
                    for (int k = 0; k < block; k++) cols[d + k] = x[src + k * plane];
                }
            }
        }
        for (; c < cg; c++) {
            for (int e = 0; e < h; e++) {
                for (int f = 0; f < w; f++) cols[((e + s.padH()) * wp + f + s.padW()) * cg + c] = x[from + c * plane + e * w + f];
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
