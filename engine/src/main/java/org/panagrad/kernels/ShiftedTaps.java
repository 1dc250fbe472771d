package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The input gradient of a stride-1 convolution with few input channels whose output is small beside its kernel
 * (lenet5's second: 6 -> 16 channels, 5 x 5 taps, 10 x 10 outputs of 14 x 14 inputs), tap by tap:
 * {@code dX(c, position + offset of tap t) += sum over o of W(o, c, t) dY(o, position)}, with dY's positions in the
 * lanes. {@link ImplicitPatches#inputGradient} computes the full correlation of a zero-padded dY instead, every
 * input position against every tap: at lenet5's second convolution 252 columns (14 rows of 18) by 400 steps, 2.5
 * times the useful multiply-adds; here 144 columns (10 rows of 14, in whole vectors).
 * <p>
 * Each image's dY is copied into rows as wide as the padded input (D = W + 2 padW, zeros after its outW values), so
 * that tap (i, j) adds its product at one constant offset, i dilH D + j dilW, into a padded plane per input channel;
 * the planes' inside is then copied into dX. The lanes past a row's outW hold zeros of dY, whose products go to
 * padded positions that the tap does not reach: zeros when the weight is finite. A weight that is not would make
 * them NaN, so a call with any non-finite weight returns false and the caller takes the exact path. A block of three
 * input channels by three vectors of positions (9 accumulators) sums over the output channels of one tap; the
 * blocks add into the planes tap after tap, so the order of every sum depends on the shape only. The scalar twin is
 * the exact path: the two agree within float32 rounding.
 */
final class ShiftedTaps {
    private ShiftedTaps() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final int LANES = F == null ? 1 : F.length();

    /** Input channels and vectors of positions per block. */
    static final int CHANNELS = 3, VECTORS = 3;

    /** How many times fewer columns than the full correlation's this must compute to be used. */
    static final double MIN_GAIN = 1.5;

    /**
     * Whether the input gradient of s runs here: stride 1, few input channels per group (at most
     * {@link #MAX_CHANNELS}), the exact path on {@link ImplicitPatches} behind it, and {@link #MIN_GAIN} times fewer
     * columns than the full correlation's.
     */
    static boolean applies(ConvShape s) {
        if (F == null || s.strideH() != 1 || s.strideW() != 1 || s.groupChannels() > MAX_CHANNELS || !ImplicitPatches.inputGradient(s)) {
            return false;
        }
        long correlation = (long) s.height() * (s.width() + (s.kw() - 1) * s.dilationW());
        return correlation >= MIN_GAIN * positions(s) && scratchFloats(s) <= ImplicitPatches.MAX_SCRATCH_FLOATS;
    }

    /** Input channels per group up to which this runs (the exact path's FewRowsProduct takes these as its few rows). */
    static final int MAX_CHANNELS = 8;

    private static int round(int n, int to) {
        return (n + to - 1) / to * to;
    }

    private static int rowWidth(ConvShape s) {
        return s.width() + 2 * s.padW();
    }

    /** Positions of an image at the padded width, in whole vectors. */
    private static int positions(ConvShape s) {
        return round(s.outHeight() * rowWidth(s), LANES);
    }

    /** A padded plane of dX: the padded input, and room for the last taps' products past it. */
    private static int planeFloats(ConvShape s) {
        int d = rowWidth(s);
        int reach = round(positions(s), VECTORS * LANES) + (s.kh() - 1) * s.dilationH() * d + (s.kw() - 1) * s.dilationW();
        return Math.max((s.height() + 2 * s.padH()) * d, reach);
    }

    /** The weight as [group][tap][input channel, rounded up to blocks][output channel]. */
    private static int weightFloats(ConvShape s) {
        return s.groups() * s.kh() * s.kw() * round(s.groupChannels(), CHANNELS) * s.groupOutChannels();
    }

    /** dY copied (rows of whole vectors' blocks, then a vector that a row's copy may write zeros into). */
    private static int gradientFloats(ConvShape s) {
        return s.groupOutChannels() * round(positions(s), VECTORS * LANES) + LANES;
    }

    /** Floats of scratch that s needs here: the weight, the planes, then the copied dY. */
    static int scratchFloats(ConvShape s) {
        return weightFloats(s) + round(s.groupChannels(), CHANNELS) * planeFloats(s) + gradientFloats(s);
    }

    /** dx = the input gradient of images [n0, n1) for dy, as {@link Convolution#inputGradient}, unless a weight is not finite (false). */
    static boolean inputGradient(ConvShape s, int n0, int n1, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff,
                                 float[] cols) {
        int cg = s.groupChannels(), og = s.groupOutChannels(), cgp = round(cg, CHANNELS), taps = s.kh() * s.kw();
        int d = rowWidth(s), plane = planeFloats(s), n = round(positions(s), VECTORS * LANES), oh = s.outHeight(), ow = s.outWidth();
        int planes = weightFloats(s), grads = planes + cgp * plane;
        // The weight rearranged, its padded channels zero: the products of a block's missing channels are zeros.
        for (int g = 0, to = 0; g < s.groups(); g++) {
            for (int t = 0; t < taps; t++) {
                for (int c = 0; c < cgp; c++) {
                    for (int o = 0; o < og; o++, to++) {
                        float v = c < cg ? w[wOff + ((g * og + o) * cg + c) * taps + t] : 0f;
                        if (!Float.isFinite(v)) return false;
                        cols[to] = v;
                    }
                }
            }
        }
        // The copied dY's lanes past each row stay zero: the rows' copies write only zeros there.
        Elementwise.fill(gradientFloats(s), 0f, cols, grads);
        for (int im = n0; im < n1; im++) {
            for (int g = 0; g < s.groups(); g++) {
                int from = dyOff + im * s.outImageSize() + g * og * oh * ow;
                for (int o = 0; o < og; o++) {
                    for (int r = 0; r < oh; r++) ShortRows.copyAmongZeros(dy, from + (o * oh + r) * ow, cols, grads + o * n + r * d, ow);
                }
                Elementwise.fill(cgp * plane, 0f, cols, planes);
                for (int t = 0, wt = g * taps * cgp * og; t < taps; t++, wt += cgp * og) {
                    int shift = t / s.kw() * s.dilationH() * d + t % s.kw() * s.dilationW();
                    for (int c = 0; c < cgp; c += CHANNELS) {
                        int to = planes + c * plane + shift;
                        for (int q = 0; q < n; q += VECTORS * LANES) block(cols, og, wt + c * og, grads + q, n, to + q, plane);
                    }
                }
                // The inside of each plane into dX.
                int image = dxOff + im * s.imageSize() + g * cg * s.height() * s.width();
                for (int c = 0; c < cg; c++) {
                    for (int h = 0; h < s.height(); h++) {
                        System.arraycopy(cols, planes + c * plane + (h + s.padH()) * d + s.padW(), dx, image + (c * s.height() + h) * s.width(), s.width());
                    }
                }
            }
        }
        return true;
    }

    /**
     * s[to + a plane + v LANES..] += the sum over o < og of s[w + a og + o] s[dy + o ld + v LANES..], for the three
     * channels a and three vectors v.
     */
    private static void block(float[] s, int og, int w, int dy, int ld, int to, int plane) {
        int l = LANES;
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F);
        for (int o = 0; o < og; o++) {
            int at = dy + o * ld;
            FloatVector y0 = FloatVector.fromArray(F, s, at), y1 = FloatVector.fromArray(F, s, at + l);
            FloatVector y2 = FloatVector.fromArray(F, s, at + 2 * l);
            FloatVector v = FloatVector.broadcast(F, s[w + o]);
            c00 = v.fma(y0, c00);
            c01 = v.fma(y1, c01);
            c02 = v.fma(y2, c02);
            v = FloatVector.broadcast(F, s[w + og + o]);
            c10 = v.fma(y0, c10);
            c11 = v.fma(y1, c11);
            c12 = v.fma(y2, c12);
            v = FloatVector.broadcast(F, s[w + 2 * og + o]);
            c20 = v.fma(y0, c20);
            c21 = v.fma(y1, c21);
            c22 = v.fma(y2, c22);
        }
        FloatVector.fromArray(F, s, to).add(c00).intoArray(s, to);
        FloatVector.fromArray(F, s, to + l).add(c01).intoArray(s, to + l);
        FloatVector.fromArray(F, s, to + 2 * l).add(c02).intoArray(s, to + 2 * l);
        int t1 = to + plane, t2 = to + 2 * plane;
        FloatVector.fromArray(F, s, t1).add(c10).intoArray(s, t1);
        FloatVector.fromArray(F, s, t1 + l).add(c11).intoArray(s, t1 + l);
        FloatVector.fromArray(F, s, t1 + 2 * l).add(c12).intoArray(s, t1 + 2 * l);
        FloatVector.fromArray(F, s, t2).add(c20).intoArray(s, t2);
        FloatVector.fromArray(F, s, t2 + l).add(c21).intoArray(s, t2 + l);
        FloatVector.fromArray(F, s, t2 + 2 * l).add(c22).intoArray(s, t2 + 2 * l);
    }
}
