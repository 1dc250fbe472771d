package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2-D max and average pooling over NCHW planes, and their adjoints. The geometry is a {@link ConvShape} with one
 * group per channel (a pooling window sees one channel) and dilation 1. Padding is -infinity for the maximum and
 * counts as zeros in the average (PyTorch's count_include_pad), whose divisor is then always kh x kw.
 * <p>
 * The forward passes reduce each output row in two steps: the kh input rows it reads, element by element across
 * the whole width (contiguous: a vector at a time in the SIMD body), into a scratch row, then each window's kw
 * values of that row. The arg-max ops (the max pool's VJP and its adjoint) find each window's first maximum in
 * row-major order, as PyTorch's CPU kernel does, so ties go where PyTorch sends them; they are scalar in both
 * bodies (a window is a handful of compares). {@code simd} chooses the body, so tests run both in one JVM.
 */
public final class Pooling {
    private Pooling() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);

    public static void maxPool(ConvShape s, float[] x, int xOff, float[] y, int yOff) {
        reduce(s, x, xOff, y, yOff, true, Simd.ENABLED);
    }

    public static void avgPool(ConvShape s, float[] x, int xOff, float[] y, int yOff) {
        reduce(s, x, xOff, y, yOff, false, Simd.ENABLED);
    }

    /** Max (or average) pooling with the chosen body. */
    static void reduce(ConvShape s, float[] x, int xOff, float[] y, int yOff, boolean max, boolean simd) {
        int h = s.height(), w = s.width(), oh = s.outHeight(), ow = s.outWidth();
        float[] row = row(w);
        float empty = max ? Float.NEGATIVE_INFINITY : 0f, scale = 1f / (s.kh() * s.kw());
        for (int plane = 0; plane < s.batch() * s.channels(); plane++) {
            int in = xOff + plane * h * w, out = yOff + plane * oh * ow;
            for (int r = 0; r < oh; r++) {
                int top = r * s.strideH() - s.padH();
                int i0 = Math.max(0, top), i1 = Math.min(h, top + s.kh());
                for (int q = 0; q < w; q++) row[q] = empty;
                for (int ih = i0; ih < i1; ih++) {
                    if (simd) accumulate(x, in + ih * w, row, w, max);
                    else for (int q = 0; q < w; q++) row[q] = max ? Math.max(row[q], x[in + ih * w + q]) : row[q] + x[in + ih * w + q];
                }
                for (int q = 0; q < ow; q++) {
                    int left = q * s.strideW() - s.padW();
                    int j0 = Math.max(0, left), j1 = Math.min(w, left + s.kw());
                    float v = empty;
                    for (int j = j0; j < j1; j++) v = max ? Math.max(v, row[j]) : v + row[j];
                    y[out + r * ow + q] = max ? v : v * scale;
                }
            }
        }
    }

    private static void accumulate(float[] x, int from, float[] row, int n, boolean max) {
        int q = 0;
        for (int end = F.loopBound(n); q < end; q += F.length()) {
            FloatVector a = FloatVector.fromArray(F, row, q), b = FloatVector.fromArray(F, x, from + q);
            (max ? a.max(b) : a.add(b)).intoArray(row, q);
        }
        for (; q < n; q++) row[q] = max ? Math.max(row[q], x[from + q]) : row[q] + x[from + q];
    }

    /** dx = 0, then each output's g added to its window's first maximum of x: the max pool's VJP. */
    public static void maxPoolScatter(ConvShape s, float[] x, int xOff, float[] g, int gOff, float[] dx, int dxOff) {
        Elementwise.fill(s.batch() * s.imageSize(), 0f, dx, dxOff);
        int oh = s.outHeight(), ow = s.outWidth();
        for (int plane = 0; plane < s.batch() * s.channels(); plane++) {
            int in = plane * s.height() * s.width(), out = gOff + plane * oh * ow;
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) dx[dxOff + in + argMax(s, x, xOff + in, r, q)] += g[out + r * ow + q];
            }
        }
    }

    /** y = c at each window's first maximum of x: the adjoint of {@link #maxPoolScatter} in c. */
    public static void maxPoolGather(ConvShape s, float[] x, int xOff, float[] c, int cOff, float[] y, int yOff) {
        int oh = s.outHeight(), ow = s.outWidth();
        for (int plane = 0; plane < s.batch() * s.channels(); plane++) {
            int in = plane * s.height() * s.width(), out = yOff + plane * oh * ow;
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) y[out + r * ow + q] = c[cOff + in + argMax(s, x, xOff + in, r, q)];
            }
        }
    }

    /** Position within its plane of the first maximum (or NaN) of window (r, q) of the plane at x[plane..]. */
    static int argMax(ConvShape s, float[] x, int plane, int r, int q) {
        int w = s.width(), top = r * s.strideH() - s.padH(), left = q * s.strideW() - s.padW();
        int i0 = Math.max(0, top), i1 = Math.min(s.height(), top + s.kh());
        int j0 = Math.max(0, left), j1 = Math.min(w, left + s.kw());
        int best = i0 * w + j0;
        float v = Float.NEGATIVE_INFINITY;
        for (int i = i0; i < i1; i++) {
            for (int j = j0; j < j1; j++) {
                float e = x[plane + i * w + j];
                if (e > v || Float.isNaN(e)) {
                    best = i * w + j;
                    v = e;
                    if (Float.isNaN(e)) return best;
                }
            }
        }
        return best;
    }

    /** dx = each output's g / (kh kw) added over its window: the average pool's adjoint. */
    public static void avgPoolAdjoint(ConvShape s, float[] g, int gOff, float[] dx, int dxOff) {
        avgPoolAdjoint(s, g, gOff, dx, dxOff, Simd.ENABLED);
    }

    /**
     * The adjoint with the chosen body: for each output row, its kw-window spreads into a scratch row across the
     * width, which is then added to each of the kh input rows it came from (a vector at a time in the SIMD body).
     */
    static void avgPoolAdjoint(ConvShape s, float[] g, int gOff, float[] dx, int dxOff, boolean simd) {
        int h = s.height(), w = s.width(), oh = s.outHeight(), ow = s.outWidth();
        Elementwise.fill(s.batch() * s.imageSize(), 0f, dx, dxOff);
        float[] row = row(w);
        float scale = 1f / (s.kh() * s.kw());
        for (int plane = 0; plane < s.batch() * s.channels(); plane++) {
            int in = dxOff + plane * h * w, out = gOff + plane * oh * ow;
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < w; q++) row[q] = 0f;
                for (int q = 0; q < ow; q++) {
                    int left = q * s.strideW() - s.padW();
                    float v = g[out + r * ow + q] * scale;
                    for (int j = Math.max(0, left), j1 = Math.min(w, left + s.kw()); j < j1; j++) row[j] += v;
                }
                int top = r * s.strideH() - s.padH();
                for (int ih = Math.max(0, top), i1 = Math.min(h, top + s.kh()); ih < i1; ih++) {
                    if (simd) accumulate(row, 0, dx, in + ih * w, w);
                    else for (int q = 0; q < w; q++) dx[in + ih * w + q] += row[q];
                }
            }
        }
    }

    private static void accumulate(float[] row, int from, float[] dx, int to, int n) {
        int q = 0;
        for (int end = F.loopBound(n); q < end; q += F.length()) {
            FloatVector.fromArray(F, dx, to + q).add(FloatVector.fromArray(F, row, from + q)).intoArray(dx, to + q);
        }
        for (; q < n; q++) dx[to + q] += row[from + q];
    }

    private static float[] row(int w) {
        float[][] holder = ROW.get();
        if (holder[0].length < w) holder[0] = new float[w];
        return holder[0];
    }
}
