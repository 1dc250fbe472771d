package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD bodies of {@link Pooling}'s max pool and its VJP for the commonest window, 2 x 2 at stride 2 without
 * padding (lenet5's two pools): the windows tile the plane, so each input element belongs to at most one. The
 * general bodies reduce each window element by element, and the VJP's arg-max search branches on data (random
 * activations mispredict half the time); they took 41% of lenet5's training step.
 * <p>
 * Here the top and bottom rows of a run of window rows are copied into two scratch rows cut at the last whole
 * window ({@code 2 outWidth} columns), so that, across rows and planes alike, window k holds lanes 2k and 2k + 1
 * of both and its output is element k of the pooled output (which is contiguous over the same run). A vector of
 * 2 L such columns is then L/2 windows: the forward pass takes the maximum of the two rows and of the even and the
 * odd lanes (constant shuffles); the VJP finds each window's first maximum in row-major order with compares and
 * blends only (a NaN first, as {@link Pooling#argMax}), writes g there and zeros elsewhere, and the rows are
 * copied back. What is left over at a run's end (fewer than 2 L columns for the forward pass and the gather, L for
 * the VJP) goes element by element. Every output
 * is a maximum of the same values, or a selected g added to zero as the general body adds it, so both give the
 * same bits.
 */
final class PairPooling {
    private PairPooling() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final int L = F.length();

    /** Lane i takes lane 2i (mod L): the even lanes of one vector into one half. */
    private static final VectorShuffle<Float> EVENS = VectorShuffle.fromOp(F, i -> 2 * i % L);
    private static final VectorShuffle<Float> ODDS = VectorShuffle.fromOp(F, i -> (2 * i + 1) % L);
    /** Lane i takes lane i xor 1: each window's other column. */
    private static final VectorShuffle<Float> SWAP = VectorShuffle.fromOp(F, i -> i ^ 1);
    /** Lane i takes lane i / 2: each of L/2 windows' cotangent on both of its columns. */
    private static final VectorShuffle<Float> PAIRS = VectorShuffle.fromOp(F, i -> i / 2);
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(F, ((1L << L) - 1) & (-1L << (L / 2)));
    /**
     * Each element's rank in its window when it qualifies: top row then bottom row, left column first (4, 3, 2, 1),
     * and 8 more for a NaN. Rows of L lanes: top, bottom, top NaN, bottom NaN.
     */
    private static final float[] RANKS = new float[4 * L];

    /** A cotangent of ones: {@link #select} then writes each element's choice as 1 or 0. */
    private static final float[] ONES = new float[L];

    static {
        for (int i = 0; i < L; i++) {
            float right = i & 1;
            RANKS[i] = 4 - right;
            RANKS[L + i] = 2 - right;
            RANKS[2 * L + i] = 12 - right;
            RANKS[3 * L + i] = 10 - right;
        }
        java.util.Arrays.fill(ONES, 1f);
    }

    /** Scratch columns per row of a run: whole vectors at every width. */
    private static final int RUN_COLUMNS = 2048;

    /**
     * Top and bottom rows of x, then the choices (the VJP's results in their place), then the JVP's rows of c: six
     * rows of the run's length, per thread.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /** Whether s's pool runs here: 2 x 2 windows at stride 2, no padding, no dilation. */
    static boolean applies(ConvShape s) {
        return s.kh() == 2 && s.kw() == 2 && s.strideH() == 2 && s.strideW() == 2 && s.padH() == 0 && s.padW() == 0
                && s.dilationH() == 1 && s.dilationW() == 1;
    }

    /** Window rows per run: as many as fit in {@link #RUN_COLUMNS} columns, at least one. */
    private static int runRows(ConvShape s) {
        return Math.max(1, RUN_COLUMNS / (2 * s.outWidth()));
    }

    private static float[] scratch(ConvShape s) {
        int n = 6 * runRows(s) * 2 * s.outWidth();
        float[][] holder = SCRATCH.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }

    /** The max pool of planes [p0, p1) of x into y. */
    static void maxPool(ConvShape s, int p0, int p1, float[] x, int xOff, float[] y, int yOff) {
        int oh = s.outHeight(), ow = s.outWidth(), runs = runRows(s), total = (p1 - p0) * oh;
        float[] t = scratch(s);
        int len = runs * 2 * ow;
        for (int u0 = 0; u0 < total; u0 += runs) {
            int m = Math.min(runs, total - u0) * 2 * ow;
            copyRows(s, p0, u0, m / (2 * ow), x, xOff, t, 0, len);
            int out = yOff + (p0 * oh + u0) * ow, f = 0;
            for (; f + 2 * L <= m; f += 2 * L) {
                FloatVector v0 = FloatVector.fromArray(F, t, f).max(FloatVector.fromArray(F, t, len + f));
                FloatVector v1 = FloatVector.fromArray(F, t, f + L).max(FloatVector.fromArray(F, t, len + f + L));
                FloatVector even = v0.rearrange(EVENS).blend(v1.rearrange(EVENS), HIGH_HALF);
                FloatVector odd = v0.rearrange(ODDS).blend(v1.rearrange(ODDS), HIGH_HALF);
                even.max(odd).intoArray(y, out + f / 2);
            }
            for (; f < m; f += 2) {
                y[out + f / 2] = Math.max(Math.max(t[f], t[f + 1]), Math.max(t[len + f], t[len + f + 1]));
            }
        }
    }

    /** The max pool's VJP for planes [p0, p1): g added at each window's first maximum of x, dx zero elsewhere. */
    static void maxPoolScatter(ConvShape s, int p0, int p1, float[] x, int xOff, float[] g, int gOff, float[] dx, int dxOff) {
        int oh = s.outHeight(), ow = s.outWidth(), runs = runRows(s), total = (p1 - p0) * oh;
        float[] t = scratch(s);
        int len = runs * 2 * ow, top = 2 * len, bottom = 3 * len, cotangent = 4 * len;
        for (int u0 = 0; u0 < total; u0 += runs) {
            int rows = Math.min(runs, total - u0), m = rows * 2 * ow;
            copyRows(s, p0, u0, rows, x, xOff, t, 0, len);
            int gi = gOff + (p0 * oh + u0) * ow, f = 0;
            // The run's cotangent in scratch, where a vector read from any window on stays in the array.
            System.arraycopy(g, gi, t, cotangent, m / 2);
            for (; f + L <= m; f += L) select(t, f, len, t, cotangent + f / 2, top, bottom);
            for (; f < m; f += 2) {
                int first = firstMaximum(t[f], t[f + 1], t[len + f], t[len + f + 1]);
                float v = 0f + g[gi + f / 2];
                t[top + f] = first == 0 ? v : 0f;
                t[top + f + 1] = first == 1 ? v : 0f;
                t[bottom + f] = first == 2 ? v : 0f;
                t[bottom + f + 1] = first == 3 ? v : 0f;
            }
            writeRows(s, p0, u0, rows, t, top, len, dx, dxOff);
        }
    }

    /**
     * The max pool's JVP (the adjoint of its VJP in the cotangent) for planes [p0, p1): y = c at each window's first
     * maximum of x. The windows' choices are the VJP's body with a cotangent of ones; each window's chosen value is
     * then moved to its left column and the left columns of two vectors are packed into one vector of outputs, as the
     * forward pass packs its maxima. Values move by blends only, so y holds c's bits. One call site per pass, as in the
     * scatter: a rewrite that split select into two methods called twice per loop had C2 leave some of their
     * multiplications and blends as allocating Java calls (lenet5's gradient 1.2 MB, its K-FAC factors 4.8 MB per
     * call, in JMH).
     */
    static void maxPoolGather(ConvShape s, int p0, int p1, float[] x, int xOff, float[] c, int cOff, float[] y, int yOff) {
        int oh = s.outHeight(), ow = s.outWidth(), runs = runRows(s), total = (p1 - p0) * oh;
        float[] t = scratch(s);
        int len = runs * 2 * ow, top = 2 * len, bottom = 3 * len, cTop = 4 * len, cBottom = 5 * len;
        for (int u0 = 0; u0 < total; u0 += runs) {
            int rows = Math.min(runs, total - u0), m = rows * 2 * ow;
            copyRows(s, p0, u0, rows, x, xOff, t, 0, len);
            copyRows(s, p0, u0, rows, c, cOff, t, cTop, len);
            int out = yOff + (p0 * oh + u0) * ow, full = m - m % (2 * L), f = 0;
            // The VJP's body with a cotangent of ones: 1 at each window's chosen element, 0 elsewhere.
            for (; f < full; f += L) select(t, f, len, ONES, 0, top, bottom);
            for (f = 0; f < full; f += L) pick(t, f, top, bottom, cTop, cBottom);
            for (f = 0; f < full; f += 2 * L) {
                FloatVector v0 = FloatVector.fromArray(F, t, top + f), v1 = FloatVector.fromArray(F, t, top + f + L);
                v0.rearrange(EVENS).blend(v1.rearrange(EVENS), HIGH_HALF).intoArray(y, out + f / 2);
            }
            for (f = full; f < m; f += 2) {
                int first = firstMaximum(t[f], t[f + 1], t[len + f], t[len + f + 1]);
                y[out + f / 2] = t[(first < 2 ? cTop : cBottom) + f + (first & 1)];
            }
        }
    }

    /**
     * One vector of columns at f: top rows at t[f..], bottom rows len further, the cotangent of its L/2 windows at
     * g[gi..]; writes g or zero for each element at t[top + f..] and t[bottom + f..]. An element qualifies when it
     * equals its window's maximum or is a NaN (the maximum is then NaN and no number equals it); each qualifying
     * element gets its rank ({@link #RANKS}: earlier in row-major order higher, a NaN above any number), and the
     * element whose rank is its window's highest is chosen: the first maximum, a NaN first. Column maxima first, then
     * across the pair: two shuffles in all. (No vector is a parameter: on JDK 17 one that is not inlined compiles to
     * the allocating fallback. Few operations, one call site per loop: with some 50 per call and two calls per loop,
     * C2 left some of them as allocating Java calls in some programs' compilations.)
     */
    private static void select(float[] t, int f, int len, float[] g, int gi, int top, int bottom) {
        FloatVector a = FloatVector.fromArray(F, t, f), b = FloatVector.fromArray(F, t, len + f);
        FloatVector columns = a.max(b), max = columns.max(columns.rearrange(SWAP)), zero = FloatVector.zero(F);
        FloatVector ra = FloatVector.fromArray(F, RANKS, 0).blend(zero, a.compare(VectorOperators.LT, max))
                .blend(FloatVector.fromArray(F, RANKS, 2 * L), a.compare(VectorOperators.NE, a));
        FloatVector rb = FloatVector.fromArray(F, RANKS, L).blend(zero, b.compare(VectorOperators.LT, max))
                .blend(FloatVector.fromArray(F, RANKS, 3 * L), b.compare(VectorOperators.NE, b));
        FloatVector best = ra.max(rb);
        best = best.max(best.rearrange(SWAP));
        FloatVector v = FloatVector.fromArray(F, g, gi).rearrange(PAIRS).add(zero);
        v.blend(zero, ra.compare(VectorOperators.NE, best)).intoArray(t, top + f);
        v.blend(zero, rb.compare(VectorOperators.NE, best)).intoArray(t, bottom + f);
    }

    /**
     * For one vector of columns at f whose choices {@link #select} wrote (1 or 0): into each window's left lane of
     * t[top + f..], the value of c's rows (at t[cTop..] and t[cBottom..]) at the window's chosen element (other
     * lanes: any of the window's values).
     */
    private static void pick(float[] t, int f, int top, int bottom, int cTop, int cBottom) {
        FloatVector chosenTop = FloatVector.fromArray(F, t, top + f), chosenBottom = FloatVector.fromArray(F, t, bottom + f);
        FloatVector column = FloatVector.fromArray(F, t, cTop + f).blend(FloatVector.fromArray(F, t, cBottom + f),
                chosenBottom.compare(VectorOperators.NE, 0f));
        // The chosen element's column value if this lane's column holds it, else the other column's.
        column.rearrange(SWAP).blend(column, chosenTop.add(chosenBottom).compare(VectorOperators.NE, 0f)).intoArray(t, top + f);
    }

    /** Which of a window's four values in row-major order is its first maximum, a NaN first: {@link Pooling#argMax}'s rule. */
    private static int firstMaximum(float a, float b, float c, float d) {
        int best = 0;
        float v = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < 4; i++) {
            float e = i == 0 ? a : i == 1 ? b : i == 2 ? c : d;
            if (Float.isNaN(e)) return i;
            if (e > v) {
                best = i;
                v = e;
            }
        }
        return best;
    }

    /** The top and bottom rows (2 outWidth columns) of window rows u0.. of planes p0.. into t[0..] and t[len..]. */
    private static void copyRows(ConvShape s, int p0, int u0, int rows, float[] x, int xOff, float[] t, int to, int len) {
        int oh = s.outHeight(), w = s.width(), cols = 2 * s.outWidth(), plane = s.height() * w;
        for (int i = 0; i < rows; i++) {
            int u = u0 + i, from = xOff + (p0 + u / oh) * plane + 2 * (u % oh) * w;
            System.arraycopy(x, from, t, to + i * cols, cols);
            System.arraycopy(x, from + w, t, to + len + i * cols, cols);
        }
    }

    /**
     * The VJP's rows back into dx, and zeros in what no window covers: a last column or row that the stride
     * leaves out.
     */
    private static void writeRows(ConvShape s, int p0, int u0, int rows, float[] t, int top, int len, float[] dx, int dxOff) {
        int oh = s.outHeight(), h = s.height(), w = s.width(), cols = 2 * s.outWidth(), plane = h * w;
        for (int i = 0; i < rows; i++) {
            int u = u0 + i, r = u % oh, planeStart = dxOff + (p0 + u / oh) * plane, to = planeStart + 2 * r * w;
            System.arraycopy(t, top + i * cols, dx, to, cols);
            System.arraycopy(t, top + len + i * cols, dx, to + w, cols);
            if (cols < w) {
                dx[to + cols] = 0f;
                dx[to + w + cols] = 0f;
            }
            if (r == oh - 1 && 2 * oh < h) Elementwise.fill(w, 0f, dx, planeStart + 2 * oh * w);
        }
    }
}
