package org.panagrad.kernels;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The entries of a batched product (one {@link Gemm} call per entry, all of one shape) shared out over the worker
 * pool: each thread claims whole entries from a counter, so a batch of products too small to split one by one
 * (per-sample gradients: 128 products of 6 x 25 x 784, or of 400 x 120 x 1) runs on every thread, and the many
 * large ones of a batch run without a barrier per product. An entry is computed by one thread and a product's
 * result does not depend on how it is cut, so the results are the same bits on any number of threads. A batch
 * of a few large products keeps each product split over the threads instead. An entry with a small C and a long
 * k whose operands both run along k (a convolution's per-sample weight gradients) is a table of dot products
 * ({@link RowDots}) rather than a packed GEMM. Nothing is allocated per call.
 */
public final class GemmBatch implements WorkerPool.Task {
    private static final ThreadLocal<GemmBatch> PER_THREAD = ThreadLocal.withInitial(GemmBatch::new);

    private final AtomicInteger next = new AtomicInteger();
    private int m, n, k;
    private GemmOperand[] a, b, c;
    private GemmEpilogue[] epilogues;

    private GemmBatch() {}

    /** Whether a batch of this many m x n x k products is shared out by entries (else each product splits itself). */
    static boolean byEntries(int entries, int threads, long macs) {
        return threads > 1 && entries > 1 && macs * entries >= GemmJob.PARALLEL_MIN_MACS
                && (macs < GemmJob.PARALLEL_MIN_MACS * threads || entries >= 4 * threads);
    }

    /** c[e] = epilogues[e](a[e] b[e]) for every entry e, as {@link Gemm#gemm} computes each. */
    public static void gemm(int m, int n, int k, GemmOperand[] a, GemmOperand[] b, GemmOperand[] c, GemmEpilogue[] epilogues) {
        int entries = a.length;
        // Checked before any entry runs: a short array would otherwise fail on a worker after other entries were written.
        if (b.length != entries || c.length != entries || epilogues.length != entries) {
            throw new IllegalArgumentException("GemmBatch.gemm: a has " + entries + " entries but b has " + b.length
                    + ", c " + c.length + " and epilogues " + epilogues.length + "; expected " + entries + " in each");
        }
        WorkerPool pool = Gemm.pool();
        if (!Simd.ENABLED || !byEntries(entries, pool.threads(), (long) m * n * k)) {
            for (int e = 0; e < entries; e++) entry(m, n, k, a[e], b[e], c[e], epilogues[e]);
            return;
        }
        GemmBatch job = PER_THREAD.get();
        job.m = m;
        job.n = n;
        job.k = k;
        job.a = a;
        job.b = b;
        job.c = c;
        job.epilogues = epilogues;
        job.next.set(0);
        try {
            if (!pool.tryRun(job, Math.min(pool.threads(), entries))) job.runPart(0, 1);
        } finally {
            job.a = job.b = job.c = null;
            job.epilogues = null;
        }
    }

    @Override
    public void runPart(int part, int parts) {
        // Inside a pool task the pool is busy, so each product runs whole on this thread.
        for (int e = next.getAndIncrement(); e < a.length; e = next.getAndIncrement()) {
            entry(m, n, k, a[e], b[e], c[e], epilogues[e]);
        }
    }

    /** One entry: by row dot products when C is small and k long ({@link RowDots}), else by the GEMM. */
    private static void entry(int m, int n, int k, GemmOperand a, GemmOperand b, GemmOperand c, GemmEpilogue epilogue) {
        if (RowDots.applies(m, n, k, a, b, epilogue)) RowDots.multiply(m, n, k, a, b, c);
        else Gemm.gemm(m, n, k, 1f, a, b, 0f, c, epilogue);
    }
}
