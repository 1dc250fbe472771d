package org.panagrad.kernels;

/**
 * Layer normalisation of contiguous rows: out = (x - mean) / sqrt(var + eps) per row of n elements, the biased
 * variance (PyTorch's), computed in two passes (the mean, then the squares about it) so that rows far from 0
 * lose nothing to cancellation. Each row is read whole before it is written, so out may be x. Rows are
 * independent: a call runs them in ranges over the worker pool ({@link ItemSplit}), the same bits at any thread
 * count.
 */
public final class LayerNorm {
    private LayerNorm() {}

    public static void normalize(int rows, int n, float eps, float[] x, int xOff, float[] out, int outOff) {
        Job.current().run(rows, n, eps, x, xOff, out, outOff);
    }

    private static void normalizeRows(int rows, int n, float eps, float[] x, int xOff, float[] out, int outOff) {
        if (Simd.ENABLED && n >= VectorMath.F.length()) LayerNormSimd.normalize(rows, n, eps, x, xOff, out, outOff);
        else LayerNormScalar.normalize(rows, n, eps, x, xOff, out, outOff);
    }

    /** One call, its rows split over the pool; one per calling thread, reused. */
    private static final class Job extends ItemSplit {
        private static final ThreadLocal<Job> PER_THREAD = ThreadLocal.withInitial(Job::new);

        static Job current() {
            return PER_THREAD.get();
        }

        private int n;
        private float eps;
        private float[] x, out;
        private int xOff, outOff;

        void run(int rows, int n, float eps, float[] x, int xOff, float[] out, int outOff) {
            this.n = n;
            this.eps = eps;
            this.x = x;
            this.xOff = xOff;
            this.out = out;
            this.outOff = outOff;
            try {
                run(rows, 2L * n);
            } finally {
                this.x = this.out = null;
            }
        }

        @Override
        void runItems(int from, int to) {
            normalizeRows(to - from, n, eps, x, xOff + from * n, out, outOff + from * n);
        }
    }
}
