package org.panagrad.kernels;

/**
 * Convolutions with no patch matrix (implicit im2col). The forward pass copies the image once into a
 * zero-padded copy split into stride phases: channel c's element at padded row {@code u sH + a} and column
 * {@code v sW + b} goes to row u, column v of phase plane (a, b), {@code hq x wq} with {@code hq = ceil(hp / sH)},
 * {@code wq = ceil(wp / sW)}. Tap (i, j) then reads, for every output position, one contiguous run of a phase
 * plane (from row {@code i dilH / sH}, column {@code j dilW / sW} of phase {@code (i dilH mod sH, j dilW mod sW)}),
 * and the GEMM's packing reads B's rows straight from there ({@link Gemm#gemmRows}). The product is computed at
 * the plane's width (positions {@code oh * wq + ow}), whose last {@code wq - outWidth} columns of each row are
 * discarded when the result is copied out (with the bias and ReLU). With stride 1 there is one phase, the padded
 * image itself. So a patch value goes from the image to a packed panel once, instead of being written into a
 * patch block and read back; the price is {@code wq / outWidth} more columns in the GEMM.
 * <p>
 * The input gradient is computed phase by phase of the input: the input elements whose padded row is
 * {@code a (mod sH)} and column {@code b (mod sW)} receive only the taps i with {@code i dilH = a (mod sH)} and j
 * likewise, from dY at row {@code (e - i dilH) / sH} for padded row e, a stride-1 correlation of a zero-padded
 * copy of dY with that subset of taps. So each phase is one GEMM of the weight (its channel axes swapped) with
 * rows of the padded dY, copied out to the phase's elements of dX; there is no col2im, and a phase that no tap
 * reaches (a 1 x 1 convolution of stride 2 skips three in four input elements) gets zeros.
 * {@code simd} chooses the bodies of the copies in and out (the GEMM follows Simd.ENABLED), so tests run both in
 * one JVM.
 */
final class ImplicitPatches {
    private ImplicitPatches() {}

    /** Above this many floats of scratch per thread, a convolution builds patch blocks instead. */
    static final int MAX_SCRATCH_FLOATS = 1 << 20;

    /** Whether the forward pass of s runs here. */
    static boolean forward(ConvShape s) {
        return applies(s) && forwardScratch(s) <= MAX_SCRATCH_FLOATS;
    }

    /** Whether the input gradient of s runs here. */
    static boolean inputGradient(ConvShape s) {
        return applies(s) && inputGradientScratch(s) <= MAX_SCRATCH_FLOATS;
    }

    private static boolean applies(ConvShape s) {
        return !s.depthwise() && !s.patchesAreInput();
    }

    /** Floats of scratch that s needs here (0 when neither pass runs here). */
    static int scratchFloats(ConvShape s) {
        int passes = Math.max(forward(s) ? forwardScratch(s) : 0, inputGradient(s) ? inputGradientScratch(s) : 0);
        return Math.max(passes, weightGradientByVectors(s) ? vectorWeightGradientScratch(s) : 0);
    }

    /** Ints of the row table that s needs here. */
    static int rowTableSize(ConvShape s) {
        // The input gradient's: one phase's table, then (strided) every phase's; TapDots' taps in whole blocks;
        // ChannelLanesConvolution's positions (output, or input for its input gradient).
        int lanes = Math.max(ChannelLanesConvolution.applies(s) ? ChannelLanesConvolution.productRows(s) : 0,
                ChannelLanesConvolution.inputGradientApplies(s) ? ChannelLanesConvolution.inputGradientRows(s) : 0);
        return Math.max(Math.max(Math.max(VectorColumnsProduct.paddedRows(s.patchRows()), s.patchRows() + TapDots.WIDE_TAPS),
                2 * s.groupOutChannels() * s.kh() * s.kw()), lanes);
    }

    // The forward pass: phase planes of the padded image.

    private static int planeHeight(ConvShape s) {
        return ceilDiv(s.height() + 2 * s.padH(), s.strideH());
    }

    private static int planeWidth(ConvShape s) {
        return ceilDiv(s.width() + 2 * s.padW(), s.strideW());
    }

    /** Floats of one channel's phase planes. */
    private static int channelFloats(ConvShape s) {
        return s.strideH() * s.strideW() * planeHeight(s) * planeWidth(s);
    }

    /** Positions of the product at the plane's width. */
    private static int forwardColumns(ConvShape s) {
        return (s.outHeight() - 1) * planeWidth(s) + s.outWidth();
    }

    /** The product's leading dimension: its columns rounded up to {@link FewRowsProduct}'s blocks. */
    private static int forwardStride(ConvShape s) {
        return FewRowsProduct.paddedColumns(forwardColumns(s));
    }

    private static int forwardScratch(ConvShape s) {
        return s.groupChannels() * channelFloats(s) + s.groupOutChannels() * forwardStride(s);
    }

    /** y = act(conv(x, w) + bias) of images [n0, n1), as {@link Convolution#forward}. */
    static void forward(ConvShape s, int n0, int n1, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                        boolean relu, float[] y, int yOff, float[] cols, int[] rows, boolean simd) {
        int og = s.groupOutChannels(), kg = s.patchRows(), p = s.positions();
        int wq = planeWidth(s), padded = s.groupChannels() * channelFloats(s);
        int n = forwardColumns(s), ldc = forwardStride(s), oh = s.outHeight(), ow = s.outWidth();
        // Unused phases and the borders stay zero: each image writes only the inside of the phases some tap reads.
        Elementwise.fill(padded, 0f, cols, 0);
        patchRowTable(s, rows);
        for (int im = n0; im < n1; im++) {
            for (int g = 0; g < s.groups(); g++) {
                pad(s, x, xOff + im * s.imageSize(), g, cols, simd);
                rowProduct(og, n, kg, w, wOff + g * og * kg, cols, rows, padded, ldc, simd);
                int out = yOff + im * s.outImageSize() + g * og * p, end = out + og * p;
                for (int o = 0; o < og; o++) {
                    float b = bias == null ? 0f : bias[biasOff + g * og + o];
                    for (int r = 0; r < oh; r++) {
                        int from = padded + o * ldc + r * wq, to = out + (o * oh + r) * ow;
                        if (simd) ShortRows.copyBiased(cols, from, y, to, ow, b, relu, end);
                        else for (int q = 0; q < ow; q++) y[to + q] = relu ? Math.max(cols[from + q] + b, 0f) : cols[from + q] + b;
                    }
                }
            }
        }
    }

    /**
     * Where each patch row starts in the phase planes: row {@code (c kh + i) kw + j} (channel c, tap (i, j)) at
     * rows[that row], so tap t's rows of all channels are {@link #channelFloats} apart from rows[t] on.
     */
    private static void patchRowTable(ConvShape s, int[] rows) {
        int wq = planeWidth(s), plane = planeHeight(s) * wq, chan = channelFloats(s), sh = s.strideH(), sw = s.strideW();
        for (int c = 0, r = 0; c < s.groupChannels(); c++) {
            for (int i = 0; i < s.kh(); i++) {
                int di = i * s.dilationH();
                for (int j = 0; j < s.kw(); j++) {
                    int dj = j * s.dilationW();
                    rows[r++] = c * chan + ((di % sh) * sw + dj % sw) * plane + di / sh * wq + dj / sw;
                }
            }
        }
    }

    /** Group g of the image at x[image..] into the inside of its phase planes at cols[0..] (the rest as it was). */
    private static void pad(ConvShape s, float[] x, int image, int g, float[] cols, boolean simd) {
        int cg = s.groupChannels(), wq = planeWidth(s), plane = planeHeight(s) * wq, chan = channelFloats(s);
        int sh = s.strideH(), sw = s.strideW(), from0 = image + g * cg * s.height() * s.width();
        // Which phases some tap reads, once per image rather than per row (a loop of divisions each).
        int rowsRead = phasesRead(s.kh(), s.dilationH(), sh), columnsRead = phasesRead(s.kw(), s.dilationW(), sw);
        for (int c = 0; c < cg; c++) {
            for (int h = 0; h < s.height(); h++) {
                int e = h + s.padH(), a = e % sh;
                if ((rowsRead >>> a & 1) == 0) continue;
                int to = c * chan + a * sw * plane + e / sh * wq, from = from0 + (c * s.height() + h) * s.width();
                splitRow(s, x, from, cols, to, plane, columnsRead, simd);
            }
        }
    }

    /** Bit a set for each phase a of stride st that some tap of k, dilation dil, reads ({@link #phaseRead}). */
    private static int phasesRead(int k, int dil, int st) {
        int mask = 0;
        for (int a = 0; a < st && a < 32; a++) if (phaseRead(a, k, dil, st)) mask |= 1 << a;
        return st > 32 ? -1 : mask;
    }

    /**
     * Input channels per group from which the weight gradient runs here. Below, a product per tap has fewer rows
     * than {@link NarrowGemm}'s kernel computes at once ({@link NarrowGemm#ROWS}), which then packs them; the one
     * product over all patch rows of a patch block keeps its kernel full.
     */
    static final int WEIGHT_GRADIENT_MIN_CHANNELS = NarrowGemm.ROWS;

    /**
     * Whether the weight gradient of s runs here: the forward pass does, the gradient is summed transposed
     * ({@link Convolution#weightGradientTransposed}), a group has at least {@link #WEIGHT_GRADIENT_MIN_CHANNELS}
     * input channels, and the stride is 1. Strided, the patch blocks won (ConvBench, fastest call of each side,
     * one JVM each, load 8-10: resnet8's stride-2 3 x 3 convolution 5.3 -> 6.5 ms, its 1 x 1 downsamples
     * 0.7 -> 1.5 and 0.5 -> 1.1 ms): they gather only the positions a tap reads, where this path copies every
     * read phase element by element and transposes all of dY, for fewer positions per image.
     */
    static boolean weightGradient(ConvShape s) {
        return forward(s) && Convolution.weightGradientTransposed(s) && s.groupChannels() >= WEIGHT_GRADIENT_MIN_CHANNELS
                && s.strideH() == 1 && s.strideW() == 1;
    }

    /**
     * The weight gradient of images [n0, n1), summed transposed into g as {@link Convolution#weightGradientImages}
     * lays it out (row {@code (c kh + i) kw + j}, column o; with accumulate added to g). Per image and group, the
     * phase planes as in the forward pass, and dY transposed (position-major, og values per position) at the
     * planes' width, its positions past outWidth zero; then per tap t one product
     * {@code dW_t^T (cg x og) += X_t · dY^T}, where row c of X_t is the run of channel c's planes that tap t reads
     * for every position, read in place ({@link #channelFloats} apart). So no patch block is built; the price is
     * the planes' width in positions, as in the forward pass, and one product of cg rows per tap. A position past
     * outWidth multiplies a zero of dY by a value of the planes (finite for a finite input).
     */
    static void weightGradient(ConvShape s, int n0, int n1, float[] x, int xOff, float[] dy, int dyOff, float[] g, int gOff,
                               boolean accumulate, float[] cols, int[] rows, boolean simd) {
        int cg = s.groupChannels(), og = s.groupOutChannels(), kg = s.patchRows(), taps = s.kh() * s.kw();
        int chan = channelFloats(s), padded = cg * chan, n = forwardColumns(s);
        int p = s.positions();
        Elementwise.fill(padded + n * og, 0f, cols, 0);
        patchRowTable(s, rows);
        for (int im = n0; im < n1; im++) {
            float beta = accumulate || im > n0 ? 1f : 0f;
            for (int gr = 0; gr < s.groups(); gr++) {
                pad(s, x, xOff + im * s.imageSize(), gr, cols, simd);
                transposeGradient(s, dy, dyOff + im * s.outImageSize() + gr * og * p, cols, padded, og);
                int gg = gOff + gr * og * kg;
                for (int t = 0; t < taps; t++) {
                    Gemm.gemm(false, false, cg, og, n, 1f, cols, rows[t], chan, cols, padded, og, beta, g, gg + t * og, taps * og,
                            null, 0, false, null, 0);
                }
            }
        }
    }

    /**
     * One group's dY (og channels of outHeight x outWidth at dy[grad..]) transposed to position-major at the phase
     * planes' width: channel o of position (r, q) at cols[to + (r wq + q) step + o]; the rest as it was (zeros).
     */
    private static void transposeGradient(ConvShape s, float[] dy, int grad, float[] cols, int to, int step) {
        int oh = s.outHeight(), ow = s.outWidth(), wq = planeWidth(s);
        for (int o = 0; o < s.groupOutChannels(); o++) {
            for (int r = 0; r < oh; r++) {
                int from = grad + (o * oh + r) * ow, at = to + r * wq * step + o;
                for (int q = 0; q < ow; q++) cols[at + q * step] = dy[from + q];
            }
        }
    }

    /**
     * Output channels per group up to which the weight gradient runs on {@link VectorColumnsProduct}: resnet8's 16
     * to 64 (four vectors of 16 lanes).
     */
    static final int VECTOR_WEIGHT_GRADIENT_MAX_CHANNELS = 64;

    /**
     * Whether the weight gradient of s runs here on {@link VectorColumnsProduct}: a group has at most
     * {@link #VECTOR_WEIGHT_GRADIENT_MAX_CHANNELS} output channels and its scratch fits. Before the per-tap
     * products ({@link #weightGradient(ConvShape)}) when both apply.
     */
    static boolean weightGradientByVectors(ConvShape s) {
        return applies(s) && s.groupOutChannels() <= VECTOR_WEIGHT_GRADIENT_MAX_CHANNELS
                && vectorWeightGradientScratch(s) <= MAX_SCRATCH_FLOATS;
    }

    /** Whether the weight gradient by vectors reads the image in place: no padding to copy it into. */
    private static boolean unpadded(ConvShape s) {
        return s.padH() == 0 && s.padW() == 0;
    }

    /**
     * Whether the weight gradient by vectors reads a padded image in place, tap by tap: each tap's product over the
     * rectangle of output positions where it reads no padding, its rows the group's input channels (whole blocks of
     * {@link VectorColumnsProduct#ROWS}). The padded copy it saves read x (saved by the forward pass, long out of
     * cache) once per image, and a tap's positions in the padding only multiplied zeros.
     */
    static boolean byTaps(ConvShape s) {
        return !unpadded(s) && s.groupChannels() % VectorColumnsProduct.ROWS == 0;
    }

    /** Width of a row of the image the weight gradient by vectors reads: padded, or the image's own. */
    private static int paddedWidth(ConvShape s) {
        return s.width() + 2 * s.padW();
    }

    /** Floats of a channel of that image. */
    private static int paddedPlane(ConvShape s) {
        return (s.height() + 2 * s.padH()) * paddedWidth(s);
    }

    /** The padded image (none when unpadded), dY transposed in whole vectors per position, and each group's sums. */
    private static int vectorWeightGradientScratch(ConvShape s) {
        int ld = VectorColumnsProduct.leadingDimension(s.groupOutChannels());
        int image = unpadded(s) || byTaps(s) ? 0 : s.groupChannels() * paddedPlane(s);
        return image + s.positions() * ld + s.groups() * VectorColumnsProduct.paddedRows(s.patchRows()) * ld;
    }

    /**
     * The weight gradient of images [n0, n1) into g as {@link Convolution#weightGradientImages} lays it out (with
     * accumulate added to g). Per image and group, the image zero-padded (not split into stride phases: the
     * product steps through a row at the stride; read in place when there is no padding) and dY transposed, the
     * output channels of a position in whole vectors (the lanes past og zero), then {@code dW_g^T += X · dY^T} on
     * {@link VectorColumnsProduct}, which reads row (c, i, j) of X as outHeight runs of outWidth values strideW
     * apart, from channel c's padded row i dilH and column j dilW on, a padded row times strideH apart; summed over
     * the images in the scratch's tail and written into g once at the end. So no patch block is built and nothing
     * is packed, strided or not (the forward pass's phase planes would cost a scalar gather per element at stride 2).
     * Where {@link #byTaps} applies, no padded copy either: per tap, the group's channels read in place over the
     * tap's rectangle of positions, its sums in the tail tap by tap (row {@code t cg + c}).
     */
    static void weightGradientByVectors(ConvShape s, int n0, int n1, float[] x, int xOff, float[] dy, int dyOff, float[] g,
                                        int gOff, boolean accumulate, float[] cols, int[] rows, boolean simd) {
        int og = s.groupOutChannels(), kg = s.patchRows(), m = VectorColumnsProduct.paddedRows(kg);
        int ld = VectorColumnsProduct.leadingDimension(og), cg = s.groupChannels();
        boolean inPlace = unpadded(s), taps = byTaps(s);
        int wp = paddedWidth(s), plane = paddedPlane(s), image = inPlace || taps ? 0 : cg * plane;
        int p = s.positions(), sums = image + p * ld;
        if (taps) {
            // Every tap's sums start from zero: a tap may have no positions in a chunk's first image (none at all).
            Elementwise.fill(sums + s.groups() * m * ld, 0f, cols, 0);
            weightGradientByTaps(s, n0, n1, x, xOff, dy, dyOff, cols, rows, sums, m, ld, simd);
            writeWeightGradient(s, cols, sums, m, ld, true, g, gOff, accumulate);
            return;
        }
        Elementwise.fill(image + p * ld, 0f, cols, 0);
        for (int c = 0, r = 0; c < cg; c++) {
            for (int i = 0; i < s.kh(); i++) {
                for (int j = 0; j < s.kw(); j++) rows[r++] = c * plane + i * s.dilationH() * wp + j * s.dilationW();
            }
        }
        for (int r = kg; r < m; r++) rows[r] = rows[kg - 1];
        for (int im = n0; im < n1; im++) {
            for (int gr = 0; gr < s.groups(); gr++) {
                int from = xOff + im * s.imageSize() + gr * cg * s.height() * s.width();
                if (!inPlace) padImage(s, x, from, cols, simd);
                gradientByPosition(og, p, dy, dyOff + im * s.outImageSize() + gr * og * p, cols, image, ld, simd);
                VectorColumnsProduct.multiply(m, s.outHeight(), s.outWidth(), s.strideH() * wp, s.strideW(), inPlace ? x : cols,
                        inPlace ? from : 0, rows, cols, image, s.outWidth() * ld, cols, sums + gr * m * ld, im > n0, og, simd);
            }
        }
        writeWeightGradient(s, cols, sums, m, ld, false, g, gOff, accumulate);
    }

    /**
     * {@link #weightGradientByVectors} where {@link #byTaps} applies: per image and group, dY transposed, then per
     * tap (i, j) {@code dW_t^T (cg x og) += X_t · dY^T} over the output rows and columns where the tap reads inside
     * the image, row c of X_t read in place from channel c of x.
     */
    private static void weightGradientByTaps(ConvShape s, int n0, int n1, float[] x, int xOff, float[] dy, int dyOff, float[] cols,
                                             int[] rows, int sums, int m, int ld, boolean simd) {
        int cg = s.groupChannels(), og = s.groupOutChannels(), h = s.height(), w = s.width(), p = s.positions();
        int oh = s.outHeight(), ow = s.outWidth(), sh = s.strideH(), sw = s.strideW();
        for (int c = 0; c < cg; c++) rows[c] = c * h * w;
        for (int im = n0; im < n1; im++) {
            for (int gr = 0; gr < s.groups(); gr++) {
                int from = xOff + im * s.imageSize() + gr * cg * h * w;
                gradientByPosition(og, p, dy, dyOff + im * s.outImageSize() + gr * og * p, cols, 0, ld, simd);
                for (int i = 0, t = 0; i < s.kh(); i++) {
                    // Output row r reads input row r sh + di: inside the image for r in [r0, r1).
                    int di = i * s.dilationH() - s.padH(), r0 = Math.max(0, ceilDiv(-di, sh)), r1 = Math.min(oh, ceilDiv(h - di, sh));
                    for (int j = 0; j < s.kw(); j++, t++) {
                        int dj = j * s.dilationW() - s.padW(), q0 = Math.max(0, ceilDiv(-dj, sw)), q1 = Math.min(ow, ceilDiv(w - dj, sw));
                        if (r1 <= r0 || q1 <= q0) continue;
                        VectorColumnsProduct.multiply(cg, r1 - r0, q1 - q0, sh * w, sw, x, from + (r0 * sh + di) * w + q0 * sw + dj, rows,
                                cols, (r0 * ow + q0) * ld, ow * ld, cols, sums + (gr * m + t * cg) * ld, true, og, simd);
                    }
                }
            }
        }
    }

    /**
     * The weight gradient's sums at cols[sums..] (per group m rows of ld: row (c kh + i) kw + j, or with byTaps row
     * t cg + c for tap t = i kw + j) into g as {@link Convolution#weightGradientImages} lays it out.
     */
    private static void writeWeightGradient(ConvShape s, float[] cols, int sums, int m, int ld, boolean byTaps, float[] g, int gOff,
                                            boolean accumulate) {
        int og = s.groupOutChannels(), kg = s.patchRows(), cg = s.groupChannels(), taps = s.kh() * s.kw();
        boolean transposed = Convolution.weightGradientTransposed(s);
        for (int gr = 0; gr < s.groups(); gr++) {
            int gg = gOff + gr * og * kg, from = sums + gr * m * ld;
            for (int t = 0; t < kg; t++) {
                int row = byTaps ? t % taps * cg + t / taps : t;
                for (int o = 0; o < og; o++) {
                    int to = gg + (transposed ? t * og + o : o * kg + t);
                    float v = cols[from + row * ld + o];
                    g[to] = accumulate ? g[to] + v : v;
                }
            }
        }
    }

    /** A group's channels from x[from..] into the inside of the zero-padded image at cols[0..] (the border as it was). */
    static void padImage(ConvShape s, float[] x, int from, float[] cols, boolean simd) {
        int width = s.width(), wp = paddedWidth(s), plane = paddedPlane(s);
        for (int c = 0; c < s.groupChannels(); c++) {
            for (int h = 0; h < s.height(); h++) {
                int src = from + (c * s.height() + h) * width, to = c * plane + (h + s.padH()) * wp + s.padW();
                if (simd) ShortRows.copyAmongZeros(x, src, cols, to, width);
                else for (int q = 0; q < width; q++) cols[to + q] = x[src + q];
            }
        }
    }

    /**
     * One group's dY (og channels of p positions at dy[grad..]) transposed: channel o of position i at
     * cols[to + i ld + o], the rest as it was. Blocks of BLOCK channels go position by position, so each position's
     * BLOCK stores are contiguous and the reads are BLOCK sequential streams (channel by channel, the strided stores
     * cost a fifth of resnet8's weight gradients). No register transpose: its 16-lane form was boxed by C2 in some
     * compilations (FixedStepsAllocationTest: 1.2 MB per resnet8 gradient); the same values either way.
     */
    private static void gradientByPosition(int og, int p, float[] dy, int grad, float[] cols, int to, int ld, boolean simd) {
        final int block = 16;
        int o = 0;
        if (simd) {
            for (; o + block <= og; o += block) {
                for (int i = 0; i < p; i++) {
                    int d = to + i * ld + o, src = grad + o * p + i;
                    for (int c = 0; c < block; c++) cols[d + c] = dy[src + c * p];
                }
            }
        }
        for (; o < og; o++) {
            for (int i = 0; i < p; i++) cols[to + i * ld + o] = dy[grad + o * p + i];
        }
    }

    /**
     * One input row from x[from..] into its phase planes' row at cols[to..] (phase b's plane {@code b * plane}
     * further): element w at padded column {@code w + padW = v sW + b} goes to column v. Phases no tap reads are skipped.
     */
    private static void splitRow(ConvShape s, float[] x, int from, float[] cols, int to, int plane, int columnsRead, boolean simd) {
        int sw = s.strideW(), width = s.width();
        if (sw == 1) {
            // Rows in order only at stride 1: strided in height, the phases' rows interleave.
            if (simd && s.strideH() == 1) ShortRows.copyAmongZeros(x, from, cols, to + s.padW(), width);
            else if (simd) System.arraycopy(x, from, cols, to + s.padW(), width);
            else for (int q = 0; q < width; q++) cols[to + s.padW() + q] = x[from + q];
            return;
        }
        if (sw == 2 && columnsRead == 3) {
            // Both phases read (a 3 x 3 kernel at stride 2): one pass over the row, element pairs into the two
            // planes, rather than a pass per phase of short strided loops. Padded column e = q + padW goes to
            // phase e mod 2, column e / 2.
            int e0 = s.padW(), even = to + (e0 & 1) * plane + (e0 >> 1), odd = to + ((e0 + 1) & 1) * plane + ((e0 + 1) >> 1);
            int k = 0;
            for (; 2 * k + 1 < width; k++) {
                cols[even + k] = x[from + 2 * k];
                cols[odd + k] = x[from + 2 * k + 1];
            }
            if (2 * k < width) cols[even + k] = x[from + 2 * k];
            return;
        }
        for (int b = 0; b < sw; b++) {
            if (b < 32 && (columnsRead >>> b & 1) == 0) continue;
            int w0 = Math.floorMod(b - s.padW(), sw);
            for (int q = w0, v = to + b * plane + (w0 + s.padW()) / sw; q < width; q += sw, v++) cols[v] = x[from + q];
        }
    }

    /** Whether some tap of k, dilation dil, reads phase a of stride st: i dil = a (mod st) for some i < k. */
    private static boolean phaseRead(int a, int k, int dil, int st) {
        for (int i = 0; i < k; i++) {
            if (i * dil % st == a) return true;
        }
        return false;
    }

    // The input gradient: per phase of the input, a stride-1 correlation of the padded dY.

    /**
     * Rows of zeros above dY in its padded copy: enough for the largest tap offset in output rows, less the rows
     * that every phase starts below (its first input row at or past the padding).
     */
    private static int gradTop(ConvShape s) {
        return margin(s.kh(), s.dilationH(), s.strideH(), s.padH());
    }

    private static int gradLeft(ConvShape s) {
        return margin(s.kw(), s.dilationW(), s.strideW(), s.padW());
    }

    private static int margin(int k, int dil, int st, int pad) {
        int offset = (k - 1) * dil / st, firstOfEveryPhase = Math.max(0, ceilDiv(pad - st + 1, st));
        return offset - Math.min(offset, firstOfEveryPhase);
    }

    private static int gradHeight(ConvShape s) {
        return gradTop(s) + Math.max(s.outHeight(), ceilDiv(s.padH() + s.height(), s.strideH()));
    }

    private static int gradWidth(ConvShape s) {
        return gradLeft(s) + Math.max(s.outWidth(), ceilDiv(s.padW() + s.width(), s.strideW()));
    }

    /**
     * The padded dY, the product (at most one padded plane per input channel, its rows {@link #gradStride} apart),
     * then the rearranged weight.
     */
    private static int inputGradientScratch(ConvShape s) {
        int products = s.strideW() == 2 ? 2 : 1;
        return s.groupOutChannels() * gradHeight(s) * gradWidth(s) + products * s.groupChannels() * gradStride(s)
                + s.outChannels() * s.patchRows();
    }

    /** Whether, at stride 2 in width, both column phases of row phase a have taps and input elements. */
    private static boolean pairedColumnPhases(ConvShape s, int a) {
        if (s.strideW() != 2 || phaseTaps(s, a, 0) == 0 || phaseTaps(s, a, 1) == 0) return false;
        for (int b = 0; b < 2; b++) {
            if (ceilDiv(s.padW() + s.width() - b, 2) - Math.max(0, ceilDiv(s.padW() - b, 2)) <= 0) return false;
        }
        return true;
    }

    /**
     * One row of dX from its two column phases at stride 2: len0 values from src[from0..] at columns col0, col0 + 2,
     * ... and len1 from src[from1..] at col1, col1 + 2, ... of dst[row..]: the row written front to back, where a
     * pass per phase stores every other element twice over.
     */
    private static void interleaveRows(float[] src, int from0, int len0, int col0, int from1, int len1, int col1, float[] dst, int row) {
        int both = Math.min(len0, len1), q = 0;
        for (int d0 = row + col0, d1 = row + col1; q < both; q++, d0 += 2, d1 += 2) {
            dst[d0] = src[from0 + q];
            dst[d1] = src[from1 + q];
        }
        for (int r = q; r < len0; r++) dst[row + col0 + 2 * r] = src[from0 + r];
        for (int r = q; r < len1; r++) dst[row + col1 + 2 * r] = src[from1 + r];
    }

    /** The input gradient's product's leading dimension: a padded plane rounded up to {@link FewRowsProduct}'s blocks. */
    private static int gradStride(ConvShape s) {
        return FewRowsProduct.paddedColumns(gradHeight(s) * gradWidth(s));
    }

    /** Floats of the input gradient's rearranged weight ({@link #arrangeInputGradientWeight}). */
    static int arrangedWeightFloats(ConvShape s) {
        return s.outChannels() * s.patchRows();
    }

    /**
     * The weight w of s rearranged for {@link #inputGradient}, into to[at..]: per group and input phase (a, b) in
     * order, a cg x (og x taps of the phase) matrix. It does not depend on the images, so a call split over threads
     * arranges it once, before the split.
     */
    static void arrangeInputGradientWeight(ConvShape s, float[] w, int wOff, float[] to, int at) {
        int cg = s.groupChannels(), og = s.groupOutChannels(), kh = s.kh(), kw = s.kw(), sh = s.strideH(), sw = s.strideW();
        for (int g = 0, q = at; g < s.groups(); g++) {
            for (int a = 0; a < sh; a++) {
                for (int b = 0; b < sw; b++) {
                    for (int c = 0; c < cg; c++) {
                        for (int o = 0; o < og; o++) {
                            for (int i = 0; i < kh; i++) {
                                if (i * s.dilationH() % sh != a) continue;
                                for (int j = 0; j < kw; j++) {
                                    if (j * s.dilationW() % sw == b) to[q++] = w[wOff + (((g * og + o) * cg + c) * kh + i) * kw + j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * dx = the input gradient of images [n0, n1) for dy, as {@link Convolution#inputGradient}, with the weight
     * arranged by {@link #arrangeInputGradientWeight} at arranged[arrangedOff..] (null: arranged here into cols).
     */
    static void inputGradient(ConvShape s, int n0, int n1, float[] dy, int dyOff, float[] w, int wOff, float[] arranged,
                              int arrangedOff, float[] dx, int dxOff, float[] cols, int[] rows, boolean simd) {
        int cg = s.groupChannels(), og = s.groupOutChannels(), kh = s.kh(), kw = s.kw(), taps = kh * kw;
        int sh = s.strideH(), sw = s.strideW(), hq = gradHeight(s), wq = gradWidth(s), plane = hq * wq;
        int top = gradTop(s), left = gradLeft(s), product = og * plane, ldc = gradStride(s);
        int second = product + cg * ldc + arrangedWeightFloats(s);
        if (arranged == null) {
            arranged = cols;
            arrangedOff = product + cg * ldc;
            arrangeInputGradientWeight(s, w, wOff, cols, arrangedOff);
        }
        Elementwise.fill(product, 0f, cols, 0);
        // Each phase's row table, laid out once per call after the first og taps (the tables do not depend on the
        // image; built per image and phase, their divisions cost as much as a stride-2 call's copies), and copied
        // to the start of rows for its product; with one phase, built there directly.
        int tables = sh * sw == 1 ? 0 : og * taps;
        boolean tapless = false;
        for (int a = 0, r = tables; a < sh; a++) {
            int u0 = Math.max(0, ceilDiv(s.padH() - a, sh));
            for (int b = 0; b < sw; b++) {
                int v0 = Math.max(0, ceilDiv(s.padW() - b, sw));
                tapless |= phaseTaps(s, a, b) == 0;
                for (int o = 0; o < og; o++) {
                    for (int i = 0; i < kh; i++) {
                        int di = i * s.dilationH();
                        if (di % sh != a) continue;
                        for (int j = 0; j < kw; j++) {
                            int dj = j * s.dilationW();
                            if (dj % sw == b) rows[r++] = o * plane + (top - di / sh + u0) * wq + left - dj / sw + v0;
                        }
                    }
                }
            }
        }
        for (int im = n0; im < n1; im++) {
            for (int g = 0, wg = arrangedOff; g < s.groups(); g++) {
                int grad = dyOff + im * s.outImageSize() + g * og * s.positions();
                for (int o = 0; o < og; o++) {
                    for (int r = 0; r < s.outHeight(); r++) {
                        int from = grad + (o * s.outHeight() + r) * s.outWidth(), to = o * plane + (top + r) * wq + left;
                        if (simd) ShortRows.copyAmongZeros(dy, from, cols, to, s.outWidth());
                        else for (int q = 0; q < s.outWidth(); q++) cols[to + q] = dy[from + q];
                    }
                }
                int image = dxOff + im * s.imageSize() + g * cg * s.height() * s.width();
                // Phases no tap reaches get zeros: the whole group's dX at once, in vectors, rather than their
                // elements one by one at the stride (three in four of a 1 x 1 convolution of stride 2).
                if (tapless) Elementwise.fill(cg * s.height() * s.width(), 0f, dx, image);
                for (int a = 0, table = tables; a < sh; a++) {
                    int u0 = Math.max(0, ceilDiv(s.padH() - a, sh)), uEnd = ceilDiv(s.padH() + s.height() - a, sh);
                    for (int b = 0; b < sw; b++) {
                        int v0 = Math.max(0, ceilDiv(s.padW() - b, sw)), vEnd = ceilDiv(s.padW() + s.width() - b, sw);
                        int k = phaseTaps(s, a, b) * og, us = uEnd - u0, vs = vEnd - v0;
                        if (us <= 0 || vs <= 0) {
                            // No input element in this phase (a width-1 image at stride 2, padded), but its
                            // weights and row table were laid out all the same: step past them.
                            wg += cg * k;
                            table += k;
                            continue;
                        }
                        int n = (us - 1) * wq + vs;
                        if (k == 0) continue;
                        // At stride 2 in width with both column phases reached, the first phase's product waits in
                        // the second product area and the two go out together, row by row, interleaved.
                        boolean paired = simd && sw == 2 && pairedColumnPhases(s, a);
                        if (tables > 0) System.arraycopy(rows, table, rows, 0, k);
                        rowProduct(cg, n, k, arranged, wg, cols, rows, paired && b == 0 ? second : product, ldc, simd);
                        wg += cg * k;
                        table += k;
                        if (paired) {
                            if (b == 0) continue;
                            int v00 = Math.max(0, ceilDiv(s.padW(), 2)), vs0 = ceilDiv(s.padW() + s.width(), 2) - v00;
                            int col0 = 2 * v00 - s.padW(), col1 = 2 * v0 + 1 - s.padW();
                            for (int c = 0; c < cg; c++) {
                                for (int u = 0; u < us; u++) {
                                    int h = (u0 + u) * sh + a - s.padH(), row = image + (c * s.height() + h) * s.width();
                                    interleaveRows(cols, second + c * ldc + u * wq, vs0, col0, product + c * ldc + u * wq, vs, col1, dx, row);
                                }
                            }
                            continue;
                        }
                        // At stride 1 the rows go out in order, each past its end over the next one's start.
                        int limit = sh == 1 && sw == 1 ? image + cg * s.height() * s.width() : 0;
                        for (int c = 0; c < cg; c++) {
                            for (int u = 0; u < us; u++) {
                                int h = (u0 + u) * sh + a - s.padH(), wcol = v0 * sw + b - s.padW();
                                int to = image + (c * s.height() + h) * s.width() + wcol, from = product + c * ldc + u * wq;
                                scatterRow(cols, from, dx, to, vs, sw, limit, simd);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * cols[cOff..] (rows ldc apart) = the m x k matrix at a[aOff..] times the rows of cols that rows[] gives: with
     * few rows on {@link FewRowsProduct} (simd choosing its body), else on the packed GEMM.
     */
    private static void rowProduct(int m, int n, int k, float[] a, int aOff, float[] cols, int[] rows, int cOff, int ldc, boolean simd) {
        if (FewRowsProduct.applies(m)) FewRowsProduct.multiply(m, n, k, a, aOff, k, cols, rows, cols, cOff, ldc, simd);
        else Gemm.gemmRows(m, n, k, 1f, a, aOff, k, cols, rows, 0f, cols, cOff, ldc);
    }

    /** Taps of the kernel that reach input phase (a, b). */
    private static int phaseTaps(ConvShape s, int a, int b) {
        int rowsOf = 0, colsOf = 0;
        for (int i = 0; i < s.kh(); i++) if (i * s.dilationH() % s.strideH() == a) rowsOf++;
        for (int j = 0; j < s.kw(); j++) if (j * s.dilationW() % s.strideW() == b) colsOf++;
        return rowsOf * colsOf;
    }

    /**
     * len values from src[from..] into dst from to on, step apart; the SIMD body may write past the row's end up to
     * limit (see {@link ShortRows#copy}).
     */
    private static void scatterRow(float[] src, int from, float[] dst, int to, int len, int step, int limit, boolean simd) {
        if (simd && step == 1) {
            ShortRows.copy(src, from, dst, to, len, limit);
            return;
        }
        for (int q = 0; q < len; q++) dst[to + q * step] = src[from + q];
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }
}
