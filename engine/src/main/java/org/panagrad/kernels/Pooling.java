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
 * bodies (a window is a handful of compares), except with 2 x 2 windows at stride 2, where the max pool, its VJP
 * and the VJP's adjoint (the HVP's gather) have {@link PairPooling}'s SIMD bodies. {@code simd} chooses the body, so tests run both in one JVM.
 * <p>
 * Planes (an image's channel) are independent: a call runs its planes in ranges over the worker pool
 * ({@link ItemSplit}), the same bits at any thread count.
 */
public final class Pooling {
    private Pooling() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);

    public static void maxPool(ConvShape s, float[] x, int xOff, float[] y, int yOff) {
        Job.current().run(Kind.MAX, s, x, xOff, null, 0, y, yOff);
    }

    public static void avgPool(ConvShape s, float[] x, int xOff, float[] y, int yOff) {
        Job.current().run(Kind.AVERAGE, s, x, xOff, null, 0, y, yOff);
    }

    /** Max (or average) pooling with the chosen body, on the calling thread. */
    static void reduce(ConvShape s, float[] x, int xOff, float[] y, int yOff, boolean max, boolean simd) {
        reduce(s, 0, s.batch() * s.channels(), x, xOff, y, yOff, max, simd);
    }

    /** Planes [p0, p1) of {@link #reduce}. */
    private static void reduce(ConvShape s, int p0, int p1, float[] x, int xOff, float[] y, int yOff, boolean max, boolean simd) {
        if (max && simd && PairPooling.applies(s)) {
            PairPooling.maxPool(s, p0, p1, x, xOff, y, yOff);
            return;
        }
        int h = s.height(), w = s.width(), oh = s.outHeight(), ow = s.outWidth();
        float[] row = row(w);
        float empty = max ? Float.NEGATIVE_INFINITY : 0f, scale = 1f / (s.kh() * s.kw());
        for (int plane = p0; plane < p1; plane++) {
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
        Job.current().run(Kind.SCATTER, s, x, xOff, g, gOff, dx, dxOff);
    }

    /** The max pool's VJP with the chosen body, on the calling thread. */
    static void maxPoolScatter(ConvShape s, float[] x, int xOff, float[] g, int gOff, float[] dx, int dxOff, boolean simd) {
        maxPoolScatter(s, 0, s.batch() * s.channels(), x, xOff, g, gOff, dx, dxOff, simd);
    }

    /** Planes [p0, p1) of {@link #maxPoolScatter}: 2 x 2 windows at stride 2 on {@link PairPooling} (simd), else scalar. */
    private static void maxPoolScatter(ConvShape s, int p0, int p1, float[] x, int xOff, float[] g, int gOff, float[] dx, int dxOff,
                                       boolean simd) {
        if (simd && PairPooling.applies(s)) {
            PairPooling.maxPoolScatter(s, p0, p1, x, xOff, g, gOff, dx, dxOff);
            return;
        }
        int hw = s.height() * s.width();
        Elementwise.fill((p1 - p0) * hw, 0f, dx, dxOff + p0 * hw);
        int oh = s.outHeight(), ow = s.outWidth();
        for (int plane = p0; plane < p1; plane++) {
            int in = plane * s.height() * s.width(), out = gOff + plane * oh * ow;
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) dx[dxOff + in + argMax(s, x, xOff + in, r, q)] += g[out + r * ow + q];
            }
        }
    }

    /** y = c at each window's first maximum of x: the adjoint of {@link #maxPoolScatter} in c. */
    public static void maxPoolGather(ConvShape s, float[] x, int xOff, float[] c, int cOff, float[] y, int yOff) {
        Job.current().run(Kind.GATHER, s, x, xOff, c, cOff, y, yOff);
    }

    /** The gather with the chosen body, on the calling thread. */
    static void maxPoolGather(ConvShape s, float[] x, int xOff, float[] c, int cOff, float[] y, int yOff, boolean simd) {
        maxPoolGather(s, 0, s.batch() * s.channels(), x, xOff, c, cOff, y, yOff, simd);
    }

    /** Planes [p0, p1) of {@link #maxPoolGather}: 2 x 2 windows at stride 2 on {@link PairPooling} (simd), else scalar. */
    private static void maxPoolGather(ConvShape s, int p0, int p1, float[] x, int xOff, float[] c, int cOff, float[] y, int yOff,
                                      boolean simd) {
        if (simd && PairPooling.applies(s)) {
            PairPooling.maxPoolGather(s, p0, p1, x, xOff, c, cOff, y, yOff);
            return;
        }
        int oh = s.outHeight(), ow = s.outWidth();
        for (int plane = p0; plane < p1; plane++) {
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
        Job.current().run(Kind.AVERAGE_ADJOINT, s, null, 0, g, gOff, dx, dxOff);
    }

    /**
     * The adjoint with the chosen body: for each output row, its kw-window spreads into a scratch row across the
     * width, which is then added to each of the kh input rows it came from (a vector at a time in the SIMD body).
     */
    static void avgPoolAdjoint(ConvShape s, float[] g, int gOff, float[] dx, int dxOff, boolean simd) {
        avgPoolAdjoint(s, 0, s.batch() * s.channels(), g, gOff, dx, dxOff, simd);
    }

    /** Planes [p0, p1) of {@link #avgPoolAdjoint}. */
    private static void avgPoolAdjoint(ConvShape s, int p0, int p1, float[] g, int gOff, float[] dx, int dxOff, boolean simd) {
        int h = s.height(), w = s.width(), oh = s.outHeight(), ow = s.outWidth();
        Elementwise.fill((p1 - p0) * h * w, 0f, dx, dxOff + p0 * h * w);
        float[] row = row(w);
        float scale = 1f / (s.kh() * s.kw());
        for (int plane = p0; plane < p1; plane++) {
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

    private enum Kind { MAX, AVERAGE, SCATTER, GATHER, AVERAGE_ADJOINT }

    /** One call of a pooling kernel, its planes split over the pool; one per calling thread, reused. */
    private static final class Job extends ItemSplit {
        private static final ThreadLocal<Job> PER_THREAD = ThreadLocal.withInitial(Job::new);

        static Job current() {
            return PER_THREAD.get();
        }

        private Kind kind;
        private ConvShape s;
        private float[] x, g, out;
        private int xOff, gOff, outOff;

        /** x is the input (null for the average's adjoint), g the second operand (a cotangent), out the result. */
        void run(Kind kind, ConvShape s, float[] x, int xOff, float[] g, int gOff, float[] out, int outOff) {
            this.kind = kind;
            this.s = s;
            this.x = x;
            this.xOff = xOff;
            this.g = g;
            this.gOff = gOff;
            this.out = out;
            this.outOff = outOff;
            try {
                run(s.batch() * s.channels(), (long) s.height() * s.width() + s.positions());
            } finally {
                this.x = this.g = this.out = null;
            }
        }

        @Override
        void runItems(int from, int to) {
            switch (kind) {
                case MAX -> reduce(s, from, to, x, xOff, out, outOff, true, Simd.ENABLED);
                case AVERAGE -> reduce(s, from, to, x, xOff, out, outOff, false, Simd.ENABLED);
                case SCATTER -> maxPoolScatter(s, from, to, x, xOff, g, gOff, out, outOff, Simd.ENABLED);
                case GATHER -> maxPoolGather(s, from, to, x, xOff, g, gOff, out, outOff, Simd.ENABLED);
                case AVERAGE_ADJOINT -> avgPoolAdjoint(s, from, to, g, gOff, out, outOff, Simd.ENABLED);
            }
        }
    }

    private static float[] row(int w) {
        float[][] holder = ROW.get();
        if (holder[0].length < w) holder[0] = new float[w];
        return holder[0];
    }
}
