package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies of the short rows a convolution moves between an image and its padded copies (7 to 32 floats: resnet8's
 * and lenet5's rows) in whole vectors, writing past the row's end where the caller allows it: a row copied with
 * System.arraycopy costs a call of the copy stub per row, and a vector loop with a scalar tail leaves 12 of 28
 * floats (all of 14 or 7, at 16 lanes) to the scalar tail. The callers write the rows of a region in increasing
 * order, so that what one row writes past its end the rows after it overwrite. The caller's scalar twin copies
 * element by element: the values that stay are the same.
 */
final class ShortRows {
    private ShortRows() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final int LANES = F == null ? 1 : F.length();

    /** len rounded up to whole vectors. */
    private static int whole(int len) {
        return (len + LANES - 1) / LANES * LANES;
    }

    /**
     * dst[to..to + len) = src[from..], then zeros over dst[to + len..to + len + LANES): for a row put among zero
     * margins (a padded copy's), whose next rows the caller writes afterwards and whose last row is followed by
     * zeros or by what the caller writes afterwards. Falls back to System.arraycopy (writing nothing past the row)
     * where src or dst lacks the room.
     */
    static void copyAmongZeros(float[] src, int from, float[] dst, int to, int len) {
        int w = whole(len);
        if (from + w > src.length || to + len + LANES > dst.length) {
            System.arraycopy(src, from, dst, to, len);
            return;
        }
        for (int q = 0; q < w; q += LANES) FloatVector.fromArray(F, src, from + q).intoArray(dst, to + q);
        FloatVector.zero(F).intoArray(dst, to + len);
    }

    /**
     * dst[to..to + len) = src[from..], in whole vectors when neither the reads nor the writes pass src's end or
     * limit (the end of what the caller writes afterwards), else by System.arraycopy.
     */
    static void copy(float[] src, int from, float[] dst, int to, int len, int limit) {
        int w = whole(len);
        if (from + w > src.length || to + w > limit) {
            System.arraycopy(src, from, dst, to, len);
            return;
        }
        for (int q = 0; q < w; q += LANES) FloatVector.fromArray(F, src, from + q).intoArray(dst, to + q);
    }

    /**
     * dst[to + q] = src[from + q] + b, then max(that, 0) when relu, for q < len: in whole vectors when neither the
     * reads nor the writes pass src's end or limit, else whole vectors and a scalar tail.
     */
    static void copyBiased(float[] src, int from, float[] dst, int to, int len, float b, boolean relu, int limit) {
        FloatVector bv = FloatVector.broadcast(F, b), zero = FloatVector.zero(F);
        int w = whole(len);
        int end = from + w <= src.length && to + w <= limit ? w : F.loopBound(len);
        int q = 0;
        for (; q < end; q += LANES) {
            FloatVector v = FloatVector.fromArray(F, src, from + q).add(bv);
            (relu ? v.lanewise(VectorOperators.MAX, zero) : v).intoArray(dst, to + q);
        }
        for (; q < len; q++) dst[to + q] = relu ? Math.max(src[from + q] + b, 0f) : src[from + q] + b;
    }
}
