package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a stride-1 convolution with few output channels per group (lenet5's first: 6 channels, 5 x 5
 * taps, 28 x 28 positions) as dot products along the positions: {@code dW(o, t) = sum over positions of dY(o, position)
 * X(position + offset of tap t)}, with the positions in the vector lanes. {@link VectorColumnsProduct} puts the output
 * channels in the lanes instead, 6 of 16, and pads 25 taps to 32 rows: 29% of its multiply-adds count, here 78%.
 * <p>
 * Each image's dY is copied into rows as wide as the zero-padded image (D = W + 2 padW, zeros after its outW values),
 * so that tap (c, i, j) reads the padded image at one constant offset from every position: c plane + i dilH D + j dilW.
 * The lanes past a row's outW hold zeros of dY against values of X that the tap does not read there (the next padded
 * columns, or the first of the next row): finite values add zeros, but an infinite or NaN one would turn a sum that
 * should be finite into NaN. So the sums of a call are written only when all of them are finite; otherwise
 * {@link #weightGradient} returns false and the caller computes the call exactly ({@link VectorColumnsProduct}), as a
 * step that has gone non-finite deserves.
 * <p>
 * A block of three channels by four taps (12 accumulators, three rows of dY and one of X in registers), or with 32
 * vector registers of four channels by five taps (20 accumulators, four rows of dY and one of X) where that wastes
 * no more (resnet8's 16 channels: none of 16 against 2 of 18), runs over all positions of an image; its lanes
 * carry on over the images of the call in the scratch and are summed lane by lane, in lane order, at the end. The
 * order of every sum depends on the images of the call and the lanes only, never on the thread count. The scalar twin is the exact path: the two agree within float32 rounding.
 */
final class TapDots {
    private TapDots() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final int LANES = F == null ? 1 : F.length();

    /** Output channels and taps per block of {@link #block}. */
    static final int CHANNELS = 3, TAPS = 4;

    /**
     * Output channels and taps per block of {@link #wideBlock}: nine loads per 20 multiply-adds where {@link #block}
     * has seven per 12 (its loads of X cross cache lines: a tap's offset is anywhere). 29 vector registers: with
     * 16 lanes only (32 registers).
     */
    static final int WIDE_CHANNELS = 4, WIDE_TAPS = 5;

    /** Whether s runs on {@link #wideBlock}: 32 registers, and at least the useful fraction of {@link #block}. */
    static boolean wide(ConvShape s) {
        return LANES >= 16 && usefulFraction(s, WIDE_CHANNELS, WIDE_TAPS) >= usefulFraction(s, CHANNELS, TAPS);
    }

    /** Output channels per block of s. */
    private static int channels(ConvShape s) {
        return wide(s) ? WIDE_CHANNELS : CHANNELS;
    }

    /** Taps per block of s. */
    private static int taps(ConvShape s) {
        return wide(s) ? WIDE_TAPS : TAPS;
    }

    /**
     * Whether the weight gradient of s runs here: stride 1, the exact path on {@link VectorColumnsProduct} behind it,
     * and at least {@link #MIN_GAIN} times its fraction of useful multiply-adds (few channels in many lanes), or
     * {@link #MIN_GAIN_ONE_VECTOR} times where the output channels fit one vector.
     */
    static boolean applies(ConvShape s) {
        double gain = s.groupOutChannels() <= LANES ? MIN_GAIN_ONE_VECTOR : MIN_GAIN;
        return F != null && s.strideH() == 1 && s.strideW() == 1 && ImplicitPatches.weightGradientByVectors(s)
                && scratchFloats(s) <= ImplicitPatches.MAX_SCRATCH_FLOATS && usefulFraction(s) >= gain * vectorUsefulFraction(s);
    }

    /**
     * How much larger the useful fraction must be than VectorColumnsProduct's, where that runs blocks of two vectors
     * (ten loads per 16 multiply-adds; here seven per 12, but more of them wasted).
     */
    static final double MIN_GAIN = 1.5;

    /**
     * The same where VectorColumnsProduct's blocks are one vector wide (the output channels fit one): nine loads per
     * eight multiply-adds there (a broadcast of A for each), so this kernel wins with fewer useful ones. resnet8's
     * 16-channel 3 x 3 convolution at 28 x 28 (82% of the vector kernel's useful fraction): ConvAlternating, 1
     * thread, load 6-7, 0.72-0.76x the time.
     */
    static final double MIN_GAIN_ONE_VECTOR = 0.75;

    /** The fraction of this kernel's multiply-adds that count. */
    private static double usefulFraction(ConvShape s) {
        return usefulFraction(s, channels(s), taps(s));
    }

    /** The same with blocks of that many channels and taps. */
    private static double usefulFraction(ConvShape s, int channels, int taps) {
        int og = s.groupOutChannels(), kg = s.patchRows();
        return (double) s.positions() / positions(s) * kg / round(kg, taps) * og / round(og, channels);
    }

    private static double vectorUsefulFraction(ConvShape s) {
        int og = s.groupOutChannels(), kg = s.patchRows();
        return (double) og / VectorColumnsProduct.leadingDimension(og) * kg / VectorColumnsProduct.paddedRows(kg);
    }

    private static int round(int n, int to) {
        return (n + to - 1) / to * to;
    }

    /** Width of a padded row, and of a row of the copied dY. */
    private static int rowWidth(ConvShape s) {
        return s.width() + 2 * s.padW();
    }

    /** A channel of the padded image. */
    private static int plane(ConvShape s) {
        return (s.height() + 2 * s.padH()) * rowWidth(s);
    }

    /** Positions of an image at the padded width, in whole vectors. */
    private static int positions(ConvShape s) {
        return round(s.outHeight() * rowWidth(s), LANES);
    }

    /** The padded image and the zeros its last taps read past it. */
    private static int imageFloats(ConvShape s) {
        return s.groupChannels() * plane(s) + positions(s) - s.outHeight() * rowWidth(s) + (s.kw() - 1) * s.dilationW();
    }

    /** The copied dY (its channels rounded up to blocks, then a vector that a row's copy may write zeros into). */
    private static int gradientFloats(ConvShape s) {
        return round(s.groupOutChannels(), channels(s)) * positions(s) + LANES;
    }

    /** The lanes of every sum of a group. */
    private static int sumFloats(ConvShape s) {
        return round(s.groupOutChannels(), channels(s)) * round(s.patchRows(), taps(s)) * LANES;
    }

    /** Floats of scratch that s needs here: the padded image, the copied dY, then every group's sums. */
    static int scratchFloats(ConvShape s) {
        return imageFloats(s) + gradientFloats(s) + s.groups() * sumFloats(s);
    }

    /**
     * The weight gradient of images [n0, n1) into g as {@link Convolution#weightGradientImages} lays it out (with
     * accumulate added to g), unless a sum came out non-finite: then g is as it was and the result is false.
     */
    static boolean weightGradient(ConvShape s, int n0, int n1, float[] x, int xOff, float[] dy, int dyOff, float[] g, int gOff,
                                  boolean accumulate, float[] cols, int[] rows) {
        int og = s.groupOutChannels(), kg = s.patchRows(), cg = s.groupChannels();
        boolean wide = wide(s);
        int bc = channels(s), bt = taps(s), ogp = round(og, bc), kgp = round(kg, bt);
        int d = rowWidth(s), plane = plane(s), n = positions(s);
        int oh = s.outHeight(), ow = s.outWidth(), p = s.positions();
        int image = imageFloats(s), grads = image, sums = grads + gradientFloats(s), groupSums = sumFloats(s);
        Elementwise.fill(sums + s.groups() * groupSums, 0f, cols, 0);
        for (int c = 0, t = 0; c < cg; c++) {
            for (int i = 0; i < s.kh(); i++) {
                for (int j = 0; j < s.kw(); j++) rows[t++] = c * plane + i * s.dilationH() * d + j * s.dilationW();
            }
        }
        for (int t = kg; t < kgp; t++) rows[t] = rows[kg - 1];
        for (int im = n0; im < n1; im++) {
            for (int gr = 0; gr < s.groups(); gr++) {
                ImplicitPatches.padImage(s, x, xOff + im * s.imageSize() + gr * cg * s.height() * s.width(), cols, true);
                int from = dyOff + im * s.outImageSize() + gr * og * p;
                for (int o = 0; o < og; o++) {
                    for (int r = 0; r < oh; r++) ShortRows.copyAmongZeros(dy, from + o * p + r * ow, cols, grads + o * n + r * d, ow);
                }
                int acc = sums + gr * groupSums;
                if (wide) {
                    for (int o = 0; o < ogp; o += WIDE_CHANNELS) {
                        for (int t = 0; t < kgp; t += WIDE_TAPS, acc += WIDE_CHANNELS * WIDE_TAPS * LANES) {
                            wideBlock(cols, n, grads + o * n, n, rows[t], rows[t + 1], rows[t + 2], rows[t + 3],
                                    rows[t + 4], acc);
                        }
                    }
                } else {
                    for (int o = 0; o < ogp; o += CHANNELS) {
                        for (int t = 0; t < kgp; t += TAPS, acc += CHANNELS * TAPS * LANES) {
                            block(cols, n, grads + o * n, n, rows[t], rows[t + 1], rows[t + 2], rows[t + 3], acc);
                        }
                    }
                }
            }
        }
        // Each sum's lanes in lane order, into the first float of its lanes; all finite, or nothing is written.
        boolean finite = true;
        for (int gr = 0; gr < s.groups(); gr++) {
            for (int o = 0; o < og; o++) {
                for (int t = 0; t < kg; t++) {
                    int at = lanesOf(sums + gr * groupSums, kgp, bc, bt, o, t);
                    float sum = 0f;
                    for (int l = 0; l < LANES; l++) sum += cols[at + l];
                    cols[at] = sum;
                    finite &= Float.isFinite(sum);
                }
            }
        }
        if (!finite) return false;
        boolean transposed = Convolution.weightGradientTransposed(s);
        for (int gr = 0; gr < s.groups(); gr++) {
            int gg = gOff + gr * og * kg;
            for (int o = 0; o < og; o++) {
                for (int t = 0; t < kg; t++) {
                    int to = gg + (transposed ? t * og + o : o * kg + t);
                    float v = cols[lanesOf(sums + gr * groupSums, kgp, bc, bt, o, t)];
                    g[to] = accumulate ? g[to] + v : v;
                }
            }
        }
        return true;
    }

    /** Where the lanes of channel o and tap t begin among a group's sums (blocks of bc x bt, taps inside channels). */
    private static int lanesOf(int sums, int kgp, int bc, int bt, int o, int t) {
        int blockIndex = o / bc * (kgp / bt) + t / bt;
        return sums + (blockIndex * bc * bt + o % bc * bt + t % bt) * LANES;
    }

    /**
     * The lanes at s[acc..] (channel a, tap b at (a TAPS + b) LANES) plus, over the n positions (whole vectors), the
     * three dY rows at s[dy + a ld..] times the image at s[t_b..] shifted by the position.
     */
    private static void block(float[] s, int n, int dy, int ld, int t0, int t1, int t2, int t3, int acc) {
        int l = LANES;
        FloatVector c00 = FloatVector.fromArray(F, s, acc), c01 = FloatVector.fromArray(F, s, acc + l);
        FloatVector c02 = FloatVector.fromArray(F, s, acc + 2 * l), c03 = FloatVector.fromArray(F, s, acc + 3 * l);
        FloatVector c10 = FloatVector.fromArray(F, s, acc + 4 * l), c11 = FloatVector.fromArray(F, s, acc + 5 * l);
        FloatVector c12 = FloatVector.fromArray(F, s, acc + 6 * l), c13 = FloatVector.fromArray(F, s, acc + 7 * l);
        FloatVector c20 = FloatVector.fromArray(F, s, acc + 8 * l), c21 = FloatVector.fromArray(F, s, acc + 9 * l);
        FloatVector c22 = FloatVector.fromArray(F, s, acc + 10 * l), c23 = FloatVector.fromArray(F, s, acc + 11 * l);
        for (int q = 0; q < n; q += l) {
            FloatVector y0 = FloatVector.fromArray(F, s, dy + q), y1 = FloatVector.fromArray(F, s, dy + ld + q);
            FloatVector y2 = FloatVector.fromArray(F, s, dy + 2 * ld + q);
            FloatVector v = FloatVector.fromArray(F, s, t0 + q);
            c00 = v.fma(y0, c00);
            c10 = v.fma(y1, c10);
            c20 = v.fma(y2, c20);
            v = FloatVector.fromArray(F, s, t1 + q);
            c01 = v.fma(y0, c01);
            c11 = v.fma(y1, c11);
            c21 = v.fma(y2, c21);
            v = FloatVector.fromArray(F, s, t2 + q);
            c02 = v.fma(y0, c02);
            c12 = v.fma(y1, c12);
            c22 = v.fma(y2, c22);
            v = FloatVector.fromArray(F, s, t3 + q);
            c03 = v.fma(y0, c03);
            c13 = v.fma(y1, c13);
            c23 = v.fma(y2, c23);
        }
        c00.intoArray(s, acc);
        c01.intoArray(s, acc + l);
        c02.intoArray(s, acc + 2 * l);
        c03.intoArray(s, acc + 3 * l);
        c10.intoArray(s, acc + 4 * l);
        c11.intoArray(s, acc + 5 * l);
        c12.intoArray(s, acc + 6 * l);
        c13.intoArray(s, acc + 7 * l);
        c20.intoArray(s, acc + 8 * l);
        c21.intoArray(s, acc + 9 * l);
        c22.intoArray(s, acc + 10 * l);
        c23.intoArray(s, acc + 11 * l);
    }

    /**
     * {@link #block} with four dY rows and five taps (channel a, tap b at (a WIDE_TAPS + b) LANES): each load of X
     * feeds four multiply-adds, each of dY five. C2 loads all nine vectors of a step before its multiply-adds: with
     * six taps (24 accumulators) that spilled two accumulators to the stack, and ran slower per multiply-add than
     * {@link #block}.
     */
    private static void wideBlock(float[] s, int n, int dy, int ld, int t0, int t1, int t2, int t3, int t4, int acc) {
        int l = LANES;
        FloatVector c00 = FloatVector.fromArray(F, s, acc), c01 = FloatVector.fromArray(F, s, acc + l),
                c02 = FloatVector.fromArray(F, s, acc + 2 * l),
                c03 = FloatVector.fromArray(F, s, acc + 3 * l), c04 = FloatVector.fromArray(F, s, acc + 4 * l);
        FloatVector c10 = FloatVector.fromArray(F, s, acc + 5 * l), c11 = FloatVector.fromArray(F, s, acc + 6 * l),
                c12 = FloatVector.fromArray(F, s, acc + 7 * l),
                c13 = FloatVector.fromArray(F, s, acc + 8 * l), c14 = FloatVector.fromArray(F, s, acc + 9 * l);
        FloatVector c20 = FloatVector.fromArray(F, s, acc + 10 * l), c21 = FloatVector.fromArray(F, s, acc + 11 * l),
                c22 = FloatVector.fromArray(F, s, acc + 12 * l),
                c23 = FloatVector.fromArray(F, s, acc + 13 * l), c24 = FloatVector.fromArray(F, s, acc + 14 * l);
        FloatVector c30 = FloatVector.fromArray(F, s, acc + 15 * l), c31 = FloatVector.fromArray(F, s, acc + 16 * l),
                c32 = FloatVector.fromArray(F, s, acc + 17 * l),
                c33 = FloatVector.fromArray(F, s, acc + 18 * l), c34 = FloatVector.fromArray(F, s, acc + 19 * l);
        for (int q = 0; q < n; q += l) {
            FloatVector y0 = FloatVector.fromArray(F, s, dy + q), y1 = FloatVector.fromArray(F, s, dy + ld + q);
            FloatVector y2 = FloatVector.fromArray(F, s, dy + 2 * ld + q), y3 = FloatVector.fromArray(F, s, dy + 3 * ld + q);
            FloatVector v = FloatVector.fromArray(F, s, t0 + q);
            c00 = v.fma(y0, c00);
            c10 = v.fma(y1, c10);
            c20 = v.fma(y2, c20);
            c30 = v.fma(y3, c30);
            v = FloatVector.fromArray(F, s, t1 + q);
            c01 = v.fma(y0, c01);
            c11 = v.fma(y1, c11);
            c21 = v.fma(y2, c21);
            c31 = v.fma(y3, c31);
            v = FloatVector.fromArray(F, s, t2 + q);
            c02 = v.fma(y0, c02);
            c12 = v.fma(y1, c12);
            c22 = v.fma(y2, c22);
            c32 = v.fma(y3, c32);
            v = FloatVector.fromArray(F, s, t3 + q);
            c03 = v.fma(y0, c03);
            c13 = v.fma(y1, c13);
            c23 = v.fma(y2, c23);
            c33 = v.fma(y3, c33);
            v = FloatVector.fromArray(F, s, t4 + q);
            c04 = v.fma(y0, c04);
            c14 = v.fma(y1, c14);
            c24 = v.fma(y2, c24);
            c34 = v.fma(y3, c34);
        }
        c00.intoArray(s, acc);
        c01.intoArray(s, acc + l);
        c02.intoArray(s, acc + 2 * l);
        c03.intoArray(s, acc + 3 * l);
        c04.intoArray(s, acc + 4 * l);
        c10.intoArray(s, acc + 5 * l);
        c11.intoArray(s, acc + 6 * l);
        c12.intoArray(s, acc + 7 * l);
        c13.intoArray(s, acc + 8 * l);
        c14.intoArray(s, acc + 9 * l);
        c20.intoArray(s, acc + 10 * l);
        c21.intoArray(s, acc + 11 * l);
        c22.intoArray(s, acc + 12 * l);
        c23.intoArray(s, acc + 13 * l);
        c24.intoArray(s, acc + 14 * l);
        c30.intoArray(s, acc + 15 * l);
        c31.intoArray(s, acc + 16 * l);
        c32.intoArray(s, acc + 17 * l);
        c33.intoArray(s, acc + 18 * l);
        c34.intoArray(s, acc + 19 * l);
    }
}
