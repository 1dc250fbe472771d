package org.panagrad.kernels;

/**
 * 2-D convolution in NCHW on the packed GEMM, and its two gradients, all through the same machinery: for each
 * image and group, the patch matrix (im2col, {@link Patches}) of {@code (C/groups) kh kw} rows by
 * {@code outH outW} columns is built block by block of output rows in a per-thread buffer of at most
 * {@link #PATCH_BLOCK_FLOATS} (never the batch's, nor an image's), each block going straight into the GEMM
 * while it is in cache, and then
 * <ul>
 * <li>forward: {@code Y_g = W_g · patches} (O/groups x positions), bias and ReLU in the GEMM's epilogue;</li>
 * <li>input gradient: {@code patches = W_g^T · dY_g}, added back into dX by col2im;</li>
 * <li>weight gradient: {@code dW_g^T += patches · dY_g^T}, transposed into dW at the end.</li>
 * </ul>
 * The forward pass and the input gradient build no patches at all ({@link ImplicitPatches}, strided or not); nor
 * does the weight gradient, summed from the same padded copy. With few channels the products run on direct
 * kernels that pack nothing: the forward pass of whole four-vector blocks of output channels at stride 1 with
 * those channels in the lanes ({@link ChannelLanesConvolution}, resnet8's layer3.conv2), and its stride-1 input
 * gradient in the same form with the input channels in the lanes, the other forward passes and
 * the input gradients on {@link FewRowsProduct} (up to
 * {@link FewRowsProduct#MAX_ROWS} output, or input, channels per group), and the weight gradient on
 * {@link VectorColumnsProduct} (up to {@link ImplicitPatches#VECTOR_WEIGHT_GRADIENT_MAX_CHANNELS} output channels
 * per group, in whole vectors), every convolution of lenet5 and resnet8 among them; where those channels fill few of
 * the lanes at stride 1 (lenet5's first: 6 of 16), on {@link TapDots}, with the positions in the lanes; the input
 * gradient of few input channels whose full correlation would mostly read zeros (lenet5's second), tap by tap on
 * {@link ShiftedTaps}. With more output channels the
 * weight gradient is summed per tap on the packed GEMM, where a group has
 * {@link ImplicitPatches#WEIGHT_GRADIENT_MIN_CHANNELS} input channels or more and stride 1
 * ({@link ImplicitPatches#weightGradient(ConvShape)}), else from patch blocks.
 * A 1 x 1 convolution with stride 1 and no padding reads (or writes) the image itself as its patch matrix; a
 * depthwise convolution, whose GEMMs would have one row, runs the direct kernels of {@link Depthwise}.
 * Images are independent, so the forward pass and the input gradient split the batch over the GEMM's worker
 * pool (each image's GEMMs then run on one thread); the weight gradient sums over the batch in a fixed number
 * of chunks, each into its own partial sum, added in chunk order, so every result is the same bit for bit
 * whatever the thread count. Small convolutions run on the calling thread, their GEMMs splitting themselves.
 */
public final class Convolution {
    private Convolution() {}

    /** Chunks of the batch whose weight-gradient partial sums are added at the end (fixed: results do not depend on threads). */
    static final int WEIGHT_CHUNKS = 8;

    /**
     * y = act(conv(x, w) + bias): x {@code [batch, C, H, W]} at xOff, w {@code [O, C/groups, kh, kw]} at wOff, y
     * {@code [batch, O, outH, outW]} at yOff, bias (may be null) of length O, ReLU when relu.
     */
    public static void forward(ConvShape s, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                               boolean relu, float[] y, int yOff) {
        ConvJob.current().run(ConvJob.Kind.FORWARD, s, x, xOff, w, wOff, bias, biasOff, relu, y, yOff);
    }

    /** dx = the adjoint of the convolution with w applied to dy: dy {@code [batch, O, outH, outW]}, dx like x. */
    public static void inputGradient(ConvShape s, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff) {
        ConvJob.current().run(ConvJob.Kind.INPUT_GRADIENT, s, dy, dyOff, w, wOff, null, 0, false, dx, dxOff);
    }

    /** dw = the sum over the batch of dY_g · patches(x)^T: x like the input, dy like the output, dw like the weight. */
    public static void weightGradient(ConvShape s, float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff) {
        ConvJob.current().run(ConvJob.Kind.WEIGHT_GRADIENT, s, x, xOff, dy, dyOff, null, 0, false, dw, dwOff);
    }

    /**
     * Floats of one block of the patch matrix: its output rows are cut so that a block (128 KB) is still in L2
     * when the GEMM packs it, rather than a whole image's patches (450 KB for 16 channels of 28 x 28, 3 x 3)
     * written out and read back.
     */
    static final int PATCH_BLOCK_FLOATS = 32 * 1024;

    /** Floats of the patch buffer that s needs (none when it reads the image itself). */
    static int patchBufferSize(ConvShape s) {
        if (s.patchesAreInput() || s.depthwise()) return 0;
        int columns = Patches.rowsPerBlock(s, PATCH_BLOCK_FLOATS) * s.outWidth();
        int lanes = Math.max(ChannelLanesConvolution.applies(s) ? ChannelLanesConvolution.scratchFloats(s) : 0,
                ChannelLanesConvolution.inputGradientApplies(s) ? ChannelLanesConvolution.inputGradientScratchFloats(s) : 0);
        int direct = Math.max(Math.max(ImplicitPatches.scratchFloats(s), lanes),
                Math.max(TapDots.applies(s) ? TapDots.scratchFloats(s) : 0, ShiftedTaps.applies(s) ? ShiftedTaps.scratchFloats(s) : 0));
        return Math.max(direct, (s.patchRows() + (forwardTransposed(s) ? s.groupOutChannels() : 0)) * columns);
    }

    /**
     * Whether the forward pass computes each block transposed, Y_g^T = patches^T · W_g^T (positions x O/groups,
     * bias and ReLU in the epilogue), into the patch buffer's tail, and then transposes it into Y. Measured in one
     * JVM, alternating, thread CPU time at batch 128 (load ~30): resnet8's layer2.conv2 (32 channels, 3 x 3 at
     * 14 x 14) 10.0-10.6 -> 7.7-8.0 ms; its other 3 x 3 convolutions of 32 and 64 channels level; the 1 x 1
     * downsamples, whose patches are short, slower (0.9 -> 1.8 ms); 16 channels or fewer no faster. So: 32 or
     * more output channels per group and patches at least four times as long.
     */
    static boolean forwardTransposed(ConvShape s) {
        int og = s.groupOutChannels();
        return !s.patchesAreInput() && !s.depthwise() && og >= 32 && s.patchRows() >= 4 * og;
    }

    /**
     * The forward pass of images [n0, n1) with patches built in cols; arranged is the weight as
     * {@link ChannelLanesConvolution#arrangeWeight} lays it out (null: arranged per call where needed).
     */
    static void forwardImages(ConvShape s, int n0, int n1, float[] x, int xOff, float[] w, int wOff, float[] arranged, float[] bias,
                              int biasOff, boolean relu, float[] y, int yOff, float[] cols, int[] rows, boolean simd) {
        if (s.depthwise()) {
            Depthwise.forward(s, n0, n1, x, xOff, w, wOff, bias, biasOff, relu, y, yOff, simd);
            return;
        }
        if (ChannelLanesConvolution.applies(s)) {
            ChannelLanesConvolution.forward(s, n0, n1, x, xOff, w, wOff, arranged, 0, bias, biasOff, relu, y, yOff, cols, rows, simd);
            return;
        }
        if (ImplicitPatches.forward(s)) {
            ImplicitPatches.forward(s, n0, n1, x, xOff, w, wOff, bias, biasOff, relu, y, yOff, cols, rows, simd);
            return;
        }
        int og = s.groupOutChannels(), kg = s.patchRows(), p = s.positions(), ow = s.outWidth();
        int block = Patches.rowsPerBlock(s, PATCH_BLOCK_FLOATS);
        boolean transposed = forwardTransposed(s);
        float beta = bias != null && !transposed ? 1f : 0f;
        for (int n = n0; n < n1; n++) {
            int image = xOff + n * s.imageSize(), out = yOff + n * s.outImageSize();
            if (bias != null && !transposed) {
                for (int o = 0; o < s.outChannels(); o++) Elementwise.fill(p, bias[biasOff + o], y, out + o * p);
            }
            for (int g = 0; g < s.groups(); g++) {
                int wg = wOff + g * og * kg, yg = out + g * og * p;
                if (s.patchesAreInput()) {
                    Gemm.gemm(false, false, og, p, kg, 1f, w, wg, kg, x, image + g * kg * p, p, beta, y, yg, p, null, 0, relu, null, 0);
                    continue;
                }
                for (int r0 = 0; r0 < s.outHeight(); r0 += block) {
                    int r1 = Math.min(s.outHeight(), r0 + block), cn = (r1 - r0) * ow;
                    Patches.im2col(s, x, image, g, r0, r1, cols, simd);
                    if (!transposed) {
                        Gemm.gemm(false, false, og, cn, kg, 1f, w, wg, kg, cols, 0, cn, beta, y, yg + r0 * ow, p, null, 0, relu, null, 0);
                        continue;
                    }
                    int t = kg * cn;
                    Gemm.gemm(true, true, cn, og, kg, 1f, cols, 0, cn, w, wg, kg, 0f, cols, t, og,
                            bias, biasOff + g * og, relu, null, 0);
                    for (int q = 0; q < cn; q++) {
                        for (int o = 0; o < og; o++) y[yg + o * p + r0 * ow + q] = cols[t + q * og + o];
                    }
                }
            }
        }
    }

    /**
     * The input gradient of images [n0, n1); arranged is the weight as {@link ChannelLanesConvolution#arrangeInputGradientWeight}
     * or {@link ImplicitPatches#arrangeInputGradientWeight} lays it out, whichever runs (null: arranged per call where needed).
     */
    static void inputGradientImages(ConvShape s, int n0, int n1, float[] dy, int dyOff, float[] w, int wOff, float[] arranged,
                                    float[] dx, int dxOff, float[] cols, int[] rows, boolean simd) {
        if (s.depthwise()) {
            Depthwise.inputGradient(s, n0, n1, dy, dyOff, w, wOff, dx, dxOff, simd);
            return;
        }
        // Tap by tap first; with a non-finite weight on the exact path (see ShiftedTaps).
        if (simd && ShiftedTaps.applies(s) && ShiftedTaps.inputGradient(s, n0, n1, dy, dyOff, w, wOff, dx, dxOff, cols)) return;
        if (ChannelLanesConvolution.inputGradientApplies(s)) {
            ChannelLanesConvolution.inputGradient(s, n0, n1, dy, dyOff, w, wOff, arranged, 0, dx, dxOff, cols, rows, simd);
            return;
        }
        if (ImplicitPatches.inputGradient(s)) {
            ImplicitPatches.inputGradient(s, n0, n1, dy, dyOff, w, wOff, arranged, 0, dx, dxOff, cols, rows, simd);
            return;
        }
        int og = s.groupOutChannels(), kg = s.patchRows(), p = s.positions(), ow = s.outWidth();
        int block = Patches.rowsPerBlock(s, PATCH_BLOCK_FLOATS);
        for (int n = n0; n < n1; n++) {
            int image = dxOff + n * s.imageSize(), grad = dyOff + n * s.outImageSize();
            if (!s.patchesAreInput()) Elementwise.fill(s.imageSize(), 0f, dx, image);
            for (int g = 0; g < s.groups(); g++) {
                int wg = wOff + g * og * kg, dyg = grad + g * og * p;
                if (s.patchesAreInput()) {
                    Gemm.gemm(true, false, kg, p, og, 1f, w, wg, kg, dy, dyg, p, 0f, dx, image + g * kg * p, p, null, 0, false, null, 0);
                    continue;
                }
                for (int r0 = 0; r0 < s.outHeight(); r0 += block) {
                    int r1 = Math.min(s.outHeight(), r0 + block), cn = (r1 - r0) * ow;
                    Gemm.gemm(true, false, kg, cn, og, 1f, w, wg, kg, dy, dyg + r0 * ow, p, 0f, cols, 0, cn, null, 0, false, null, 0);
                    Patches.col2im(s, cols, g, r0, r1, dx, image, simd);
                }
            }
        }
    }

    /**
     * Whether the weight gradient is summed transposed, dW_g^T = patches · dY_g^T (patchRows x O/groups): the
     * GEMM's rows are then the many patch rows rather than the few output channels, which was 1.2-1.7x faster
     * (thread CPU time) on the resnet8 shapes, but slower where the output channels do not fill one vector-wide
     * panel of B (lenet5's first convolution, 6 channels: 2.7 -> 3.9 ms).
     */
    static boolean weightGradientTransposed(ConvShape s) {
        return !s.depthwise() && s.groupOutChannels() >= 16;
    }

    /**
     * The weight gradient summed over images [n0, n1) into g (or, with accumulate, added to it), laid out as
     * {@link #finishWeightGradient} reads it: per group transposed ({@link #weightGradientTransposed}) or as the
     * weight; a depthwise convolution's as the weight.
     */
    static void weightGradientImages(ConvShape s, int n0, int n1, float[] x, int xOff, float[] dy, int dyOff,
                                     float[] g, int gOff, boolean accumulate, float[] cols, int[] rows, boolean simd) {
        if (s.depthwise()) {
            Depthwise.weightGradient(s, n0, n1, x, xOff, dy, dyOff, g, gOff, accumulate, simd);
            return;
        }
        // The dot products first; a call whose sums came out non-finite again on the exact path (see TapDots).
        if (simd && TapDots.applies(s) && TapDots.weightGradient(s, n0, n1, x, xOff, dy, dyOff, g, gOff, accumulate, cols, rows)) return;
        if (ImplicitPatches.weightGradientByVectors(s)) {
            ImplicitPatches.weightGradientByVectors(s, n0, n1, x, xOff, dy, dyOff, g, gOff, accumulate, cols, rows, simd);
            return;
        }
        if (ImplicitPatches.weightGradient(s)) {
            ImplicitPatches.weightGradient(s, n0, n1, x, xOff, dy, dyOff, g, gOff, accumulate, cols, rows, simd);
            return;
        }
        int og = s.groupOutChannels(), kg = s.patchRows(), p = s.positions(), ow = s.outWidth();
        int block = Patches.rowsPerBlock(s, PATCH_BLOCK_FLOATS);
        for (int n = n0; n < n1; n++) {
            int image = xOff + n * s.imageSize(), grad = dyOff + n * s.outImageSize();
            for (int gr = 0; gr < s.groups(); gr++) {
                int dyg = grad + gr * og * p, gg = gOff + gr * og * kg;
                float beta = accumulate || n > n0 ? 1f : 0f;
                if (s.patchesAreInput()) {
                    patchProduct(s, x, image + gr * kg * p, dy, dyg, p, p, beta, g, gg);
                    continue;
                }
                for (int r0 = 0; r0 < s.outHeight(); r0 += block, beta = 1f) {
                    int r1 = Math.min(s.outHeight(), r0 + block), cn = (r1 - r0) * ow;
                    Patches.im2col(s, x, image, gr, r0, r1, cols, simd);
                    patchProduct(s, cols, 0, dy, dyg + r0 * ow, cn, p, beta, g, gg);
                }
            }
        }
    }

    /** One group's patches (kg x positions, leading dimension ld) times its dY (og x positions, ldy) into g, oriented as chosen. */
    private static void patchProduct(ConvShape s, float[] patches, int pOff, float[] dy, int dyOff, int ld, int ldy, float beta,
                                     float[] g, int gOff) {
        int og = s.groupOutChannels(), kg = s.patchRows(), positions = ld;
        if (weightGradientTransposed(s)) {
            Gemm.gemm(false, true, kg, og, positions, 1f, patches, pOff, ld, dy, dyOff, ldy, beta, g, gOff, og, null, 0, false, null, 0);
        } else {
            Gemm.gemm(false, true, og, kg, positions, 1f, dy, dyOff, ldy, patches, pOff, ld, beta, g, gOff, kg, null, 0, false, null, 0);
        }
    }

    /** dw from what {@link #weightGradientImages} summed: each group's block transposed back, or copied. */
    static void finishWeightGradient(ConvShape s, float[] g, int gOff, float[] dw, int dwOff) {
        int og = s.groupOutChannels(), kg = s.patchRows();
        if (!weightGradientTransposed(s)) {
            System.arraycopy(g, gOff, dw, dwOff, s.outChannels() * kg);
            return;
        }
        for (int gr = 0; gr < s.groups(); gr++) {
            int from = gOff + gr * og * kg, to = dwOff + gr * og * kg;
            for (int o = 0; o < og; o++) {
                for (int k = 0; k < kg; k++) dw[to + o * kg + k] = g[from + k * og + o];
            }
        }
    }
}
