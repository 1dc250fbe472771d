package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One GEMM call in strided form: C(i, j) = act(alpha * sum_p A(i, p) B(p, j) + beta * C(i, j) + bias), masked, with
 * A(i, p) = a[aOff + i * aRowStride + p * aColStride] likewise for B, and C row-major with leading dimension ldc. Transposes are just strides.
 * <p>
 * It also decides how a parallel call cuts the work: C is split into row or column bands, one per thread, or
 * (for the products with one block of the other dimension, such as an MLP layer's, and for the cubic ones)
 * into smaller chunks that the threads claim as they go, so that a thread whose core is taken elsewhere does less.
 * (Computing a narrow product such as n = 10 as its transpose, to fill the lanes, was tried and measured
 * slower: repacking the big operand cost more than the idle lanes of one narrow B panel.)
 * Bands and chunks never split k, so every C element is summed in the same order whatever the thread count:
 * results are bit-for-bit identical.
 * One instance per calling thread is reused for every call, so a call allocates nothing.
 */
final class GemmJob implements WorkerPool.Task {
    /**
     * Below this many multiply-adds, waking a second thread costs more than it saves. 256K lets an MLP's
     * output-layer products (128 x 10 x 500 and its two backward products, 640K) split: in a 2-thread HVP
     * program, best of many runs, each went from 40-50 to 23-25 µs (7 of them), and in a training step
     * likewise for 3; at 82K (784-128-10, batch 64) splitting saved 1-2 µs of 8-10, too little to risk a
     * helper that has parked.
     */
    static final long PARALLEL_MIN_MACS = 1L << 18;

    int m, n, k;
    float alpha, beta;
    float[] a;
    int aOff, aRowStride, aColStride;
    float[] b;
    int bOff, bRowStride, bColStride;
    /**
     * When not null, row p of B (as stored) starts at b[bRows[p]], wherever that is, and bOff and the strides are
     * unused: a convolution's patch rows read straight from a zero-padded image ({@link Gemm#gemmRows}).
     */
    int[] bRows;
    float[] c;
    int cOff, ldc;
    float[] bias;
    int biasOff;
    boolean relu;
    /** Zeroes C where not positive, laid out like C (see {@link Gemm#gemm}); may be null. */
    float[] mask;
    int maskOff;
    /**
     * Whether C is at most one vector wide, or the product small, or (8 lanes) at most 10 columns with A transposed:
     * {@link NarrowGemm} computes it, rows split in claimed chunks.
     */
    boolean narrow;
    /** Parallel split: bands of rows (true) or of columns (false). */
    boolean splitRows;
    int parts;
    /** Whether the parts pack the operand they all read together (see {@link SharedPanels}). */
    boolean shared;
    final SharedPanels sharedPanels = new SharedPanels();
    /**
     * Whether the parts claim chunks of C as they go ({@link BlockedGemm#runChunks}) rather than take one band
     * each: chunks of chunkSize rows (splitRows) or columns, numbered by nextChunk over the groups of
     * {@link #groupBlocks} k blocks.
     */
    boolean dynamic;
    int chunks, chunkSize;
    /**
     * k blocks per group of claimed chunks ({@link BlockedGemm#runChunks}): all of them when their shared packed
     * blocks fit in {@link SharedPanels#GROUP_FLOATS} together, else two.
     */
    int groupBlocks;
    /** Tickets for chunks, numbered over the groups of k blocks: ticket t lets its part take one chunk of group t / chunks. */
    final AtomicInteger nextChunk = new AtomicInteger();
    /** Chunks per part: enough that a part slowed down by a busy core hands work over, few enough to pack little twice. */
    private static final int CHUNKS_PER_PART = 4;
    /** A k below which a product stays on one thread unless it has SHORT_K_PARALLEL_MIN_MACS (see chooseSplit). */
    static final int SHORT_K = 32;
    static final long SHORT_K_PARALLEL_MIN_MACS = 1L << 22;
    /**
     * Row panels per chunk of the cubic products: with B packed before the chunks run (all of it up to
     * k = 1024) and no barrier among them, small chunks cost nothing but a claim, and leave a part that the
     * VM deschedules the least to finish. One-JVM A/B on this VM, 2 threads, 9 rounds, each size against the
     * one before: from 11 panels (8 chunks per part at 1024^3) to 6, +2% at 1024^3, +3% at 768^3 and
     * 1000^3 NT; to 4, +2%, -1%, +5%; to 2, +6%, +1%, +2%; to 1, 0%, +1%, +1%.
     */
    private static final int CUBIC_CHUNK_PANELS = 2;

    void configure(int m, int n, int k, float alpha, GemmOperand a, GemmOperand b, float beta, GemmOperand c,
                   GemmEpilogue epilogue, int threads) {
        configure(a.transposed(), b.transposed(), m, n, k, alpha, a.array(), a.offset(), a.ld(), b.array(), b.offset(),
                b.ld(), beta, c.array(), c.offset(), c.ld(), epilogue.bias(), epilogue.biasOffset(), epilogue.relu(),
                epilogue.mask(), epilogue.maskOffset(), threads);
    }

    void configure(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                   float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc,
                   float[] bias, int biasOff, boolean relu, float[] mask, int maskOff, int threads) {
        this.m = m; this.n = n; this.k = k;
        this.a = a; this.aOff = aOff;
        this.aRowStride = transA ? 1 : lda; this.aColStride = transA ? lda : 1;
        this.b = b; this.bOff = bOff;
        this.bRowStride = transB ? 1 : ldb; this.bColStride = transB ? ldb : 1;
        this.bRows = null;
        this.c = c; this.cOff = cOff; this.ldc = ldc;
        this.alpha = alpha;
        this.beta = beta;
        this.bias = bias;
        this.biasOff = biasOff;
        this.relu = relu;
        this.mask = mask;
        this.maskOff = maskOff;
        chooseSplit(threads);
    }

    /**
     * Row p of B (as stored) at b[bRows[p]] instead of at the strides ({@link Gemm#gemmRows}); the split is chosen
     * again because {@link NarrowGemm} reads B through the strides only.
     */
    void readRowsOfB(int[] bRows, int threads) {
        this.bRows = bRows;
        chooseSplit(threads);
    }

    private void chooseSplit(int threads) {
        parts = 1;
        shared = false;
        dynamic = false;
        narrow = bRows == null && (NarrowGemm.applies(n) || NarrowGemm.small(m, n, k)
                || NarrowGemm.transposedWide(m, n, k, aColStride));
        if (threads < 2 || (long) m * n * k < PARALLEL_MIN_MACS) return;
        // With a short k every multiply-add is mostly a write of C, which a second core does not speed up: 128 x
        // 500 x 10 NT (14 us) ran at 0.57-0.63x of one thread on two, split by columns or by rows.
        if (k < SHORT_K && (long) m * n * k < SHORT_K_PARALLEL_MIN_MACS) return;
        if (narrow) {
            int step = NarrowGemm.rowStep(this), panels = (m + step - 1) / step;
            parts = Math.min(threads, panels);
            if (parts < 2) return;
            splitRows = true;
            dynamic = true;
            chunkSize = Math.max(1, panels / (CHUNKS_PER_PART * parts)) * step;
            chunks = (m + chunkSize - 1) / chunkSize;
            nextChunk.set(0);
            return;
        }
        int rowTiles = (m + MR - 1) / MR, colTiles = (n + NR - 1) / NR;
        // Unless shared (below), each thread packs its own copy of the operand that is not split: splitting
        // columns repacks A (m*k per thread), splitting rows repacks B (k*n per thread). Take the cheaper,
        // unless it has too few tiles to share out evenly.
        splitRows = m > n;
        if (splitRows && rowTiles < 2 * threads && colTiles >= 2 * threads) splitRows = false;
        if (!splitRows && colTiles < 2 * threads && rowTiles >= 2 * threads) splitRows = true;
        boolean cubic = cubic(m, n, k, threads);
        if (cubic) splitRows = true;
        parts = Math.min(threads, splitRows ? rowTiles : colTiles);
        // Sharing needs every part to pack the same sequence of blocks: row bands all run over the same
        // column blocks and k blocks; column bands do when each is one column block and all pack A. A row-major
        // B is packed with plain vector copies, too cheap to be worth sharing (measured: -1% to -4% on
        // 784 x 128 x 64 TN), except by the cubic products, whose several k blocks only the shared buffers
        // hold (see runChunks); a transposed B goes through register transposes, and so does a row-major A
        // except at 16 lanes and k >= 32, where A is packed as rows (GemmPacking.packARows).
        // Row chunks of a product whose A is read in place (B too narrow to pack A for) and whose B is one k
        // block each part packs whole instead: a B at most two panels wide is cheap to pack twice, and sharing
        // it took a barrier (2176 x 64 x 128 NT, a ViT's dY W^T: 0.4 ms on one thread, slower on two).
        boolean ownB = splitRows && !BlockedGemm.packsA(n) && BlockedGemm.kBlocks(k) == 1;
        int narrowest = colTiles / parts * NR, widest = (colTiles + parts - 1) / parts * NR;
        shared = parts > 1 && (splitRows ? cubic || !ownB && bRowStride == 1 && bColStride != 1
                : widest <= BlockedGemm.NC && BlockedGemm.packsA(narrowest));
        chooseChunks(rowTiles, colTiles, cubic);
        if (!shared) return;
        int blockSize = splitRows ? BlockedGemm.packedBSize(n, k) : BlockedGemm.packedASize(this);
        int kBlocks = BlockedGemm.kBlocks(k);
        groupBlocks = dynamic && (long) kBlocks * blockSize <= SharedPanels.GROUP_FLOATS ? kBlocks : 2;
        sharedPanels.prepare(parts, blockSize, Math.max(2, groupBlocks));
    }

    /**
     * Whether a product has several blocks of rows and either several of k (the cubic products, such as 1024^3) or
     * one k block and at least as many columns as rows (785 x 785 x 128 TN; 768^3 at 16 lanes with a 48 KB L1,
     * where k up to 816 is one block, while at 8 lanes its k blocks are 512 and it is cubic by its two): it is then
     * cut into rows, claimed in small chunks over a B packed together first (all of k up to 4 MB of it, see
     * {@link BlockedGemm#runChunks}). Column bands would share A, with a barrier per row block and k block (16 at
     * 1024^3), each waiting for whichever thread the VM has just descheduled, and a fixed half each: under load (a
     * second vCPU shared with other processes) 785 x 785 x 128 TN ran at medians of 0.84x and 0.86x of one thread's
     * speed on two in column bands, 1.08x and 1.00x in row chunks (GramThreadSeries' GEMM, two sets of 16 rounds
     * each, load 13-20).
     */
    static boolean cubic(int m, int n, int k, int threads) {
        return BlockedGemm.mcMax(m) < m && (BlockedGemm.kBlocks(k) > 1 || m <= n) && n <= BlockedGemm.NC
                && BlockedGemm.packsA(n) && (m + MR - 1) / MR >= 2 * threads;
    }

    /**
     * Claimed chunks where every chunk packs only its own share of the operand that is split, and the other
     * is packed, a group of k blocks at a time, before any chunk runs them ({@link BlockedGemm#runChunks}): column
     * chunks of a product with one block of rows whose A is shared; row chunks, each packing its rows of A (or,
     * for a B too narrow to pack A for, reading them in place), of a product with one block of columns whose B
     * is shared or, with one k block, packed whole by every part (its workspace holds one block).
     * The cubic products (several blocks of rows and of k) take row chunks over a shared B (see chooseSplit).
     */
    private void chooseChunks(int rowTiles, int colTiles, boolean cubic) {
        if (parts < 2 || n > BlockedGemm.NC) return;
        int tiles = splitRows ? rowTiles : colTiles;
        int perChunk = cubic ? CUBIC_CHUNK_PANELS
                : Math.max(1, (tiles + CHUNKS_PER_PART * parts - 1) / (CHUNKS_PER_PART * parts));
        if (splitRows) {
            // One k block: B packed whole by every part (A packed per chunk, or read in place); more: B shared.
            if (!(BlockedGemm.kBlocks(k) == 1 || shared && BlockedGemm.packsA(n))) return;
            chunkSize = Math.min(perChunk * MR, BlockedGemm.mcMax(m));
        } else {
            if (!shared || BlockedGemm.mcMax(m) < m) return;
            chunkSize = perChunk * NR;
        }
        dynamic = true;
        chunks = ((splitRows ? m : n) + chunkSize - 1) / chunkSize;
        nextChunk.set(0);
    }

    /**
     * The chunk (numbered within its group) that a part takes with a ticket from {@link #nextChunk}, having taken
     * {@code taken} chunks of that group before. With two parts, part 0 takes chunks from the front and part 1
     * from the back, so each part computes much the same rows (or columns) of C call after call and finds its
     * share of C, and of the operand it splits, still in its own caches (claimed in ticket order, a chunk may
     * change hands from one call to the next, and its lines of C with it: a suspect in 500 x 10 x 128 TN's 0.91x
     * on two threads; not yet measured on a quiet machine). The tickets still bound the total, so the two ends
     * meet without overlap whoever claims how many. With more parts, ticket order.
     */
    int chunkOf(int ticket, int part, int taken) {
        return ClaimedChunks.chunkOf(ticket, part, parts, taken, chunks);
    }

    /** Drops the references to the caller's arrays so that a parked job does not keep them alive. */
    void release() {
        a = null;
        b = null;
        bRows = null;
        c = null;
        bias = null;
        mask = null;
    }

    @Override
    public void runPart(int part, int parts) {
        SharedPanels share = parts > 1 && shared ? sharedPanels : null;
        try {
            GemmWorkspace ws = GemmWorkspace.current(); // in the try: a part that cannot get one releases the others
            if (narrow) {
                NarrowGemm.run(this, ws, part, parts);
            } else if (parts > 1 && dynamic) {
                BlockedGemm.runChunks(this, ws, share, part);
            } else if (parts == 1) {
                BlockedGemm.run(this, 0, m, 0, n, ws, null, 0);
            } else if (splitRows) {
                int tiles = (m + MR - 1) / MR;
                BlockedGemm.run(this, Math.min(m, tiles * part / parts * MR),
                        Math.min(m, tiles * (part + 1) / parts * MR), 0, n, ws, share, part);
            } else {
                int tiles = (n + NR - 1) / NR;
                BlockedGemm.run(this, 0, m, Math.min(n, tiles * part / parts * NR),
                        Math.min(n, tiles * (part + 1) / parts * NR), ws, share, part);
            }
        } catch (RuntimeException | Error e) {
            if (share != null) share.abandon();
            throw e;
        }
    }
}
