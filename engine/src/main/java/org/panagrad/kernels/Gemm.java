package org.panagrad.kernels;

/**
 * Single-precision GEMM on row-major arrays with offsets and leading dimensions:
 * {@code C = act(alpha * op(A) * op(B) + beta * C + bias)} where op is identity or transpose,
 * {@code bias} (length n, may be null) is added to every row and act is ReLU when {@code relu}.
 * op(A) is m x k, op(B) is k x n, C is m x n. With beta == 0, C is not read (it may hold garbage).
 * <p>
 * A {@code mask} (may be null), laid out like C (offset maskOff, leading dimension ldc), then zeroes every
 * element whose mask value is not positive: ReLU's backward, {@code (dY W^T) * [H > 0]}, in the epilogue.
 * The mask may be C itself when {@link #writesEachOutputOnce} holds for k: the gradient then takes over the
 * activation's memory.
 * <p>
 * Large products are split over a persistent {@link WorkerPool} ({@link #setThreads}); the result does not
 * depend on the thread count, bit for bit. Calls may come from any thread; the steady state allocates nothing.
 */
public final class Gemm {
    private Gemm() {}

    private static volatile WorkerPool pool = new WorkerPool(Runtime.getRuntime().availableProcessors());

    /** Threads used by large products, the calling thread included. Default: available processors. */
    public static synchronized void setThreads(int threads) {
        if (threads == pool.threads()) return;
        WorkerPool old = pool;
        pool = new WorkerPool(threads);
        old.close();
    }

    /**
     * Whether a product with this inner dimension writes each element of C once, after reading it: it then
     * sums all of k in registers (one k block), so a mask (or beta * C) may be read from C's own memory.
     */
    public static boolean writesEachOutputOnce(int k) {
        return k <= BlockedGemm.KC;
    }

    public static int threads() {
        return pool.threads();
    }

    /** The pool large products run on; other kernels that cut work over threads share it (one task at a time). */
    static WorkerPool pool() {
        return pool;
    }

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc) {
        gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, null, 0, false, null, 0);
    }

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc,
                            float[] bias, int biasOff, boolean relu, float[] mask, int maskOff) {
        if (mask == c && !writesEachOutputOnce(k)) {
            throw new IllegalArgumentException("a GEMM with k = " + k + " writes C once per k block, so C cannot be its own mask"
                    + " (at most k = " + BlockedGemm.KC + ")");
        }
        if (!Simd.ENABLED) {
            GemmScalar.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
                    bias, biasOff, relu, mask, maskOff);
            return;
        }
        if (m <= 0 || n <= 0) return;
        WorkerPool workers = pool;
        GemmJob job = GemmWorkspace.current().job;
        job.configure(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
                bias, biasOff, relu, mask, maskOff, workers.threads());
        try {
            if (job.parts == 1 || !workers.tryRun(job, job.parts)) job.runPart(0, 1);
        } finally {
            job.release();
        }
    }

    /**
     * C = alpha * A * B + beta * C with A as stored (m x k, leading dimension lda) and row p of B (k x n) starting
     * at b[bRows[p]]: B's rows anywhere in b, such as a convolution's patch rows, each a run of a zero-padded
     * image, which the packing then reads straight from the image (implicit im2col).
     */
    static void gemmRows(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int[] bRows,
                                float beta, float[] c, int cOff, int ldc) {
        if (!Simd.ENABLED) {
            GemmScalar.gemmRows(m, n, k, alpha, a, aOff, lda, b, bRows, beta, c, cOff, ldc);
            return;
        }
        if (m <= 0 || n <= 0) return;
        WorkerPool workers = pool;
        GemmJob job = GemmWorkspace.current().job;
        job.configure(false, false, m, n, k, alpha, a, aOff, lda, b, 0, 0, beta, c, cOff, ldc, null, 0, false, null, 0, workers.threads());
        job.bRows = bRows;
        try {
            if (job.parts == 1 || !workers.tryRun(job, job.parts)) job.runPart(0, 1);
        } finally {
            job.release();
        }
    }
}
