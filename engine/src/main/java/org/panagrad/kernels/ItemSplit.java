package org.panagrad.kernels;

/**
 * The one place where the memory-bound kernels (pooling, elementwise rows, per-channel normalisation) cut a call
 * over the GEMM's worker pool: a call of {@code items} independent items (planes, channels, runs of elements),
 * each of about {@code floatsPerItem} floats read or written, runs as contiguous ranges of items, one per thread,
 * when it has at least {@link #MIN_FLOATS_PER_PART} floats per thread (the threads claiming {@link #CHUNKS_PER_PART}
 * contiguous ranges each, {@link ClaimedChunks}); else on the calling thread. Every item is
 * computed by the same code whatever range it falls in, so results are the same bit for bit at any thread count.
 * <p>
 * A kernel keeps one subclass instance per calling thread, holding its arguments in fields (set before
 * {@link #run}, cleared after), so a call allocates nothing.
 */
abstract class ItemSplit implements WorkerPool.Task {
    /**
     * Floats per thread below which a second thread costs more than it saves: waking a helper costs a few
     * microseconds, about what one core streams through 64K floats from L2 (256 KB).
     */
    static final long MIN_FLOATS_PER_PART = 1L << 16;

    /** Chunks per part: a part slowed down by a busy core hands work over (see {@link ClaimedChunks}). */
    static final int CHUNKS_PER_PART = 4;

    private int items;
    private final ClaimedChunks chunks = new ClaimedChunks();

    /** Items [from, to) of the current call. */
    abstract void runItems(int from, int to);

    /** Runs items [0, items): split over the pool when large enough. */
    final void run(int items, long floatsPerItem) {
        this.items = items;
        WorkerPool pool = Gemm.pool();
        int parts = parts(items, floatsPerItem, pool.threads());
        if (parts > 1) chunks.reset(Math.min(items, CHUNKS_PER_PART * parts));
        if (parts == 1 || !pool.tryRun(this, parts)) runItems(0, items);
    }

    /** Parts of a call of items of floatsPerItem each on a pool of threads. */
    static int parts(int items, long floatsPerItem, int threads) {
        return threads > 1 && items > 1 && items * floatsPerItem >= MIN_FLOATS_PER_PART * threads ? Math.min(threads, items) : 1;
    }

    @Override
    public final void runPart(int part, int parts) {
        int n = chunks.count();
        for (int taken = 0, c; (c = chunks.claim(part, parts, taken)) >= 0; taken++) {
            runItems((int) ((long) items * c / n), (int) ((long) items * (c + 1) / n));
        }
    }
}
