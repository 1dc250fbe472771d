package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The patch matrix of one image and one group of a convolution (im2col) and its adjoint (col2im): row
 * {@code (c * kh + i) * kw + j}, column {@code oh * outWidth + ow} holds input channel c at row
 * {@code oh * strideH + i * dilationH - padH} and column {@code ow * strideW + j * dilationW - padW}, or 0 in the
 * padding. Each (row, oh) is one output row: zeros where the taps fall in the padding and, between them, a run
 * of input elements {@code strideW} apart, which the SIMD body copies with System.arraycopy (the JVM's vector
 * copy stubs, which also take the short runs of small images well) or, for col2im, adds a vector at a time,
 * when they are contiguous. The scalar twin does the same element by element; {@code simd} chooses, so tests
 * run both in one JVM.
 */
final class Patches {
    private Patches() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /**
     * Columns [r0 x outWidth, r1 x outWidth) of the patch matrix of group g of the image at x[xOff..] (output rows
     * r0 to r1), into cols as a matrix of (r1 - r0) x outWidth columns.
     */
    static void im2col(ConvShape s, float[] x, int xOff, int g, int r0, int r1, float[] cols, boolean simd) {
        im2col(s, x, xOff, g, r0, r1, cols, 0, simd);
    }

    /** The same block written into cols from colsOff on (a whole batch's patches, {@link Unfolding}). */
    static void im2col(ConvShape s, float[] x, int xOff, int g, int r0, int r1, float[] cols, int colsOff, boolean simd) {
        walk(s, x, xOff, g, r0, r1, cols, colsOff, (r1 - r0) * s.outWidth(), false, simd);
    }

    /**
     * The whole patch matrix of group g of the image at x[xOff..] with its rows {@code rowStride} floats apart
     * from colsOff on (a batch's patches channel-major, {@link Unfolding#unfoldChannelMajor}).
     */
    static void im2colRows(ConvShape s, float[] x, int xOff, int g, float[] cols, int colsOff, int rowStride, boolean simd) {
        walk(s, x, xOff, g, 0, s.outHeight(), cols, colsOff, rowStride, false, simd);
    }

    /** Adds the patch matrix cols of output rows [r0, r1) of group g back into the image at dx[dxOff..]: the adjoint of im2col. */
    static void col2im(ConvShape s, float[] cols, int g, int r0, int r1, float[] dx, int dxOff, boolean simd) {
        walk(s, dx, dxOff, g, r0, r1, cols, 0, (r1 - r0) * s.outWidth(), true, simd);
    }

    /** Each run of a patch block and the image elements it holds: copied into cols, or (back) added from it. */
    private static void walk(ConvShape s, float[] x, int xOff, int g, int r0, int r1, float[] cols, int colsOff,
                             int rowStride, boolean back, boolean simd) {
        int ow = s.outWidth(), h = s.height(), w = s.width(), stride = s.strideW();
        int patchRow = 0;
        for (int c = 0; c < s.groupChannels(); c++) {
            int plane = xOff + (g * s.groupChannels() + c) * h * w;
            for (int i = 0; i < s.kh(); i++) {
                for (int j = 0; j < s.kw(); j++) {
                    int d = colsOff + patchRow++ * rowStride;
                    int shift = j * s.dilationW() - s.padW();
                    int lo = firstInside(shift, stride), hi = Math.min(ow, lastInside(shift, stride, w) + 1);
                    for (int r = r0; r < r1; r++, d += ow) {
                        int ih = r * s.strideH() + i * s.dilationH() - s.padH();
                        boolean inside = ih >= 0 && ih < h && lo < hi;
                        int at = plane + ih * w + lo * stride + shift;
                        if (back) {
                            if (!inside) continue;
                            if (simd && stride == 1) add(cols, d + lo, x, at, hi - lo);
                            else for (int q = lo; q < hi; q++, at += stride) x[at] += cols[d + q];
                        } else if (!inside) {
                            fill(cols, d, d + ow);
                        } else {
                            fill(cols, d, d + lo);
                            if (simd && stride == 1) System.arraycopy(x, at, cols, d + lo, hi - lo);
                            else for (int q = lo; q < hi; q++, at += stride) cols[d + q] = x[at];
                            fill(cols, d + hi, d + ow);
                        }
                    }
                }
            }
        }
    }

    /**
     * Output rows per block of the patch matrix: as many as keep a block within {@code floats} (at least one),
     * so that the block the GEMM packs next is still in cache.
     */
    static int rowsPerBlock(ConvShape s, int floats) {
        return Math.max(1, Math.min(s.outHeight(), floats / Math.max(1, s.patchRows() * s.outWidth())));
    }

    /** The first output column whose tap {@code ow * stride + shift} is not left of the input. */
    static int firstInside(int shift, int stride) {
        return shift >= 0 ? 0 : (-shift + stride - 1) / stride;
    }

    /** The last output column whose tap is inside an input row of width w (negative when none is). */
    static int lastInside(int shift, int stride, int w) {
        return Math.floorDiv(w - 1 - shift, stride);
    }

    private static void fill(float[] a, int from, int to) {
        for (int q = from; q < to; q++) a[q] = 0f;
    }

    private static void add(float[] src, int from, float[] dst, int to, int n) {
        int q = 0;
        for (int end = F.loopBound(n); q < end; q += F.length()) {
            FloatVector.fromArray(F, dst, to + q).add(FloatVector.fromArray(F, src, from + q)).intoArray(dst, to + q);
        }
        for (; q < n; q++) dst[to + q] += src[from + q];
    }
}
