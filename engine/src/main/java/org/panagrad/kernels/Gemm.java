package org.panagrad.kernels;

/**
 * Single-precision GEMM on row-major arrays with offsets and leading dimensions ({@link GemmOperand}):
 * {@code C = epilogue(alpha * op(A) * op(B) + beta * C)} where op is identity or transpose and the
 * {@link GemmEpilogue} adds a bias row, takes the ReLU and applies ReLU's backward mask.
 * op(A) is m x k, op(B) is k x n, C is m x n. With beta == 0, C is not read (it may hold garbage).
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

    /**
     * One line naming the micro-kernel, the vector width and the cache blocking chosen for this machine, for
     * benchmark reports and bug reports.
     */
    public static String describe() {
        return GemmMicroKernel.MR + " x " + GemmMicroKernel.NR + " tiles, " + Simd.describe() + "; blocking "
                + BlockedGemm.BLOCKING + "; caches " + CacheSizes.MACHINE;
    }

    public static int threads() {
        return pool.threads();
    }

    /** The pool large products run on; other kernels that cut work over threads share it (one task at a time). */
    static WorkerPool pool() {
        return pool;
    }

    /** {@code C = alpha * op(A) op(B) + beta * C}: {@link #gemm(int, int, int, float, GemmOperand, GemmOperand, float, GemmOperand, GemmEpilogue)} without an epilogue. */
    public static void gemm(int m, int n, int k, float alpha, GemmOperand a, GemmOperand b, float beta, GemmOperand c) {
        gemm(m, n, k, alpha, a, b, beta, c, GemmEpilogue.NONE);
    }

    /**
     * {@code C = epilogue(alpha * op(A) op(B) + beta * C)} with op(A) m x k, op(B) k x n and C m x n (C as stored,
     * never transposed).
     */
    public static void gemm(int m, int n, int k, float alpha, GemmOperand a, GemmOperand b, float beta, GemmOperand c,
                            GemmEpilogue epilogue) {
        if (c.transposed()) throw new IllegalArgumentException("GEMM: C is written as stored; it cannot be transposed");
        gemm(a.transposed(), b.transposed(), m, n, k, alpha, a.array(), a.offset(), a.ld(), b.array(), b.offset(), b.ld(),
                beta, c.array(), c.offset(), c.ld(), epilogue.bias(), epilogue.biasOffset(), epilogue.relu(),
                epilogue.mask(), epilogue.maskOffset());
    }

    /**
     * The same product in strided form, for the kernels of this package that walk their operands (a convolution
     * moves A, B and C image by image and block by block, into a per-thread patch buffer): records built per
     * step would allocate. Callers outside the package build {@link GemmOperand}s once, when they compile.
     */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc,
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
        job.readRowsOfB(bRows, workers.threads());
        try {
            if (job.parts == 1 || !workers.tryRun(job, job.parts)) job.runPart(0, 1);
        } finally {
            job.release();
        }
    }
}
