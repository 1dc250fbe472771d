package org.panagrad.kernels;

import java.util.Arrays;

/**
 * Sums and maxima over any set of axes, on a {@link Strided#reduction} index space (operand 0 the dense input,
 * operand 1 the output, stride 0 along the reduced axes), and dot products. Collapsed, the axes alternate
 * between reduced and kept. The walk ends in one of two shapes: the innermost axis reduced (a row reduced to one
 * element: the log-sum-exp of a row, a full sum) or the innermost axis kept under a reduced one (rows added into
 * one row: a bias gradient). Every output element accumulates its inputs in the input's order, except within a
 * reduced innermost row, where SIMD keeps lane-wise partial sums. A reduction that keeps its outermost axis (per-row
 * statistics) runs ranges of that axis over the worker pool ({@link ItemSplit}): the same bits at any thread count.
 */
public final class Reductions {
    private Reductions() {}

    public static void sum(Strided s, float[] x, int xOff, float[] out, int outOff) {
        Job.current().run(false, s, x, xOff, out, outOff);
    }

    /** Maxima; NaN wins, as in Math.max. */
    public static void max(Strided s, float[] x, int xOff, float[] out, int outOff) {
        Job.current().run(true, s, x, xOff, out, outOff);
    }

    static void reduce(boolean simd, boolean max, Strided s, float[] x, int xOff, float[] out, int outOff) {
        Arrays.fill(out, outOff, outOff + s.extent(1), max ? Float.NEGATIVE_INFINITY : 0f);
        walk(simd, max, s, 0, 0, s.dim(0), x, xOff, out, outOff);
    }

    /**
     * Whether a reduction over s can be cut along its outermost axis: that axis is kept (so its indices write
     * disjoint outputs) and something is inside it. A transformer's per-row statistics ([B*T, d] to [B*T]) are.
     */
    private static boolean splitsOuterAxis(Strided s) {
        return s.rank() >= 2 && s.stride(1, 0) != 0;
    }

    /** Walks indices [from, to) of axis, which are all of it unless the axis is kept and not the last. */
    private static void walk(boolean simd, boolean max, Strided s, int axis, int from, int to, float[] x, int xi,
                             float[] out, int oi) {
        int n = s.dim(axis), xs = s.stride(0, axis), os = s.stride(1, axis), last = s.rank() - 1;
        if (axis == last && os == 0) {
            float r = simd ? ReductionsSimd.reduceRow(max, n, x, xi) : ReductionsScalar.reduceRow(max, n, x, xi);
            out[oi] = max ? Math.max(out[oi], r) : out[oi] + r;
        } else if (axis == last || (axis == last - 1 && os == 0)) {
            // Rows (one, when nothing is reduced) accumulated into one output row.
            int rows = axis == last ? 1 : n, cols = s.dim(last);
            if (simd) ReductionsSimd.reduceRows(max, rows, cols, x, xi, xs, out, oi);
            else ReductionsScalar.reduceRows(max, rows, cols, x, xi, xs, out, oi);
        } else {
            xi += from * xs;
            oi += from * os;
            for (int i = from; i < to; i++, xi += xs, oi += os) walk(simd, max, s, axis + 1, 0, s.dim(axis + 1), x, xi, out, oi);
        }
    }

    /**
     * One reduction, its outermost axis split over the pool when that axis is kept ({@link #splitsOuterAxis}): each
     * output element is then summed by one thread in the order of one pass, so the bits do not depend on the
     * thread count. One per calling thread, reused.
     */
    private static final class Job extends ItemSplit {
        private static final ThreadLocal<Job> PER_THREAD = ThreadLocal.withInitial(Job::new);

        static Job current() {
            return PER_THREAD.get();
        }

        private boolean max;
        private Strided s;
        private float[] x, out;
        private int xOff, outOff;

        void run(boolean max, Strided s, float[] x, int xOff, float[] out, int outOff) {
            if (!splitsOuterAxis(s)) {
                reduce(Simd.ENABLED, max, s, x, xOff, out, outOff);
                return;
            }
            Arrays.fill(out, outOff, outOff + s.extent(1), max ? Float.NEGATIVE_INFINITY : 0f);
            this.max = max;
            this.s = s;
            this.x = x;
            this.xOff = xOff;
            this.out = out;
            this.outOff = outOff;
            try {
                run(s.dim(0), s.size() / s.dim(0));
            } finally {
                this.s = null;
                this.x = this.out = null;
            }
        }

        @Override
        void runItems(int from, int to) {
            walk(Simd.ENABLED, max, s, 0, from, to, x, xOff, out, outOff);
        }
    }

    /** The sum of n contiguous elements. */
    public static float sum(int n, float[] x, int xOff) {
        return Simd.ENABLED ? ReductionsSimd.reduceRow(false, n, x, xOff) : ReductionsScalar.reduceRow(false, n, x, xOff);
    }

    public static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
        return Simd.ENABLED ? ReductionsSimd.dot(n, x, xOff, y, yOff) : ReductionsScalar.dot(n, x, xOff, y, yOff);
    }
}
