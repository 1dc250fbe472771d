package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The SIMD body of {@link SymmetricGemm}: the tiles of C = alpha op(X)^T op(X) that hold an element on or above
 * the diagonal, by the GEMM micro-kernel over X packed once per block of k. For each k block, X is packed as the
 * row panels of A (MR rows of C each) by all parts together (claimed in small units, {@link SharedPanels}); then the
 * parts claim units of C, each one column panel (NR columns) against a run of at most {@link #UNIT_TILES} of the
 * row panels that start left of its last column (the tile that reaches the diagonal stores only its elements on or
 * above it). A part packs the column panel of B that its units read itself, into its own buffer, once for its
 * consecutive units of that panel: only A is read by every part. In the last k block, without the mirror
 * ({@link #upper}) the unit that holds a panel's top row panel zeroes the panel's rows left of the diagonal; with it
 * ({@link #symmetric}) each tile is copied onto the panel's rows of the lower triangle as it is stored
 * ({@link #mirrorTile}). A unit reads and writes no element another unit writes, so no part waits for another's
 * unit. The units are listed column panel by column panel from the right (the widest first), each from the top,
 * and claimed by tickets ({@link ClaimedChunks}): with two parts the caller takes them from the front and the helper
 * from the back, so each computes the same columns of C call after call (in its own caches), the two share cache
 * lines only where they meet, and consecutive units of a part mostly share their column panel. With three or more
 * parts the tickets interleave (ticket order), so a part's successive units are often in different column panels,
 * each packing B again, and its columns change from call to call (not measured: this host has two vCPUs). With any
 * number of parts, a part that finds no ticket left waits only for the units already running, at most one per other
 * part (a unit of the 785 x 785 Gram at 16 lanes is at most 12 of its 874 tiles, about 1/73). With several k blocks
 * a barrier separates one block's products from the next block's packing (the buffer is reused).
 * <p>
 * Before (session 20), units were blocks of 64 columns claimed alternately from C's right and left halves, and
 * both operands were packed by all parts together: a lone 785 x 785, k = 128 upper Gram scaled 1.41-1.47x from one
 * thread to two on a quiet host, where a GEMM of the same C scaled 1.65-1.71x. Per-part timing (a throwaway
 * instrumented build) showed the shared packing taking longer on two threads than on one (a median 64 against
 * about 30 us) and the two parts' unit times adding up to 17-50% more than one thread's: each part read half of
 * both packed operands from the other core's cache, and which columns of C it wrote changed from call to call.
 * <p>
 * Two earlier orders and why they went: the lower triangle was filled tile by tile by the part that computed the
 * tile, but a 12-row tile mirrors into 12-float pieces of the rows below, which share cache lines with the
 * neighbouring row panels' pieces, claimed by the other part (at 784-500-10 the 785 x 785 factor took as long on
 * two threads as on one); then, units of C being row panels, the lower triangle was filled after them in blocks of
 * rows, each waiting for the units above it, reading upper elements the other part had written (in its cache) two
 * cache lines per row for one line of data: a quarter of a two-thread Gram went to that pass (the 500 x 500
 * factor: 64 of 278 us, slower than on one thread). By column panels, the lower triangle's rows of a panel are
 * written only by that panel's units: each tile's mirror fills its own columns of them. Two units of one panel
 * may run on different parts and write the same rows; the elements are disjoint, so the result stays the same.
 * <p>
 * A per-{@code Gemm} call per 128 x 128 tile, as this product ran before, packed both operands of every tile
 * again and ran at about half the gradient's GEMM rate (bench/results/2026-12-05-zen5-curvature.md).
 * <p>
 * Every element of C is summed by the same micro-kernel calls in the same k-block order whoever runs its
 * tile, so C is the same bits on any number of threads. One job per calling thread: nothing is allocated per
 * call once the buffers have grown.
 */
final class PackedSyrk implements WorkerPool.Task {
    private static final ThreadLocal<PackedSyrk> PER_THREAD = ThreadLocal.withInitial(PackedSyrk::new);
    /** Units of A's shared packing per part, as {@link BlockedGemm#runChunks} cuts a shared block. */
    private static final int PACK_UNITS_PER_PART = 4;
    /**
     * Elements of C per unit at most (12 tiles of 12 x 32 at 16 lanes, 57 of 5 x 16 at 8): the last units the
     * parts compute at the same time, where the part that finishes first waits, are small (at 785 x 785 and 16
     * lanes at most 12 of its 874 tiles, about 1/73).
     */
    private static final int UNIT_ELEMENTS = 12 * 12 * 32;
    /** Tiles (row panels against one column panel) per unit at most. */
    static final int UNIT_TILES = Math.max(1, UNIT_ELEMENTS / (MR * NR));

    /** Holds X as both operands, C and alpha for the packing and the stores; its SharedPanels hold A's panels. */
    private final GemmJob job = new GemmJob();
    private final AtomicInteger nextUnit = new AtomicInteger();
    private int n, k, kcMax, kBlocks, rowPanels, unitsPerBlock;
    /** Units of C of the call (package-private with the unit arrays and {@link #prepare}: SymmetricGemmTest). */
    int units;
    /** Whether the lower triangle is the upper one's mirror image ({@link #symmetric}) or zero ({@link #upper}). */
    private boolean mirror;
    /** Where each row panel starts (rowPanels + 1 entries, the last n); grown, never shrunk. */
    private int[] panelStart = new int[1];
    /**
     * Unit u: column panel unitPanel[u] against row panels unitFirst[u] to unitEnd[u] (exclusive); the column panels
     * from the right, each from the top. Grown, never shrunk.
     */
    int[] unitPanel = new int[1], unitFirst = new int[1], unitEnd = new int[1];

    PackedSyrk() {}

    /**
     * C (n x n at cOff, leading dimension n) = alpha op(X)^T op(X), whole (see {@link SymmetricGemm#gram} for
     * {@code columns}): the upper triangle multiplied, the lower one copied from it.
     */
    static void symmetric(boolean columns, int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff) {
        run(true, columns, n, k, alpha, x, xOff, lda, c, cOff);
    }

    /**
     * C's upper triangle (the diagonal and above) as {@link #symmetric}'s, zero below it: no mirror (at 785 x 785,
     * k = 128 the scalar mirror was a quarter of the Gram's time, perf), each column panel's rows zeroed left of
     * the diagonal instead, by contiguous fills, by the panel's top unit.
     */
    static void upper(boolean columns, int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff) {
        run(false, columns, n, k, alpha, x, xOff, lda, c, cOff);
    }

    private static void run(boolean mirror, boolean columns, int n, int k, float alpha, float[] x, int xOff, int lda,
                            float[] c, int cOff) {
        PackedSyrk syrk = PER_THREAD.get();
        syrk.mirror = mirror;
        // op(A) = op(X)^T, op(B) = op(X): X^T X reads X as a transposed A and a row-major B, X X^T the other way.
        syrk.job.configure(columns, !columns, n, n, k, alpha, x, xOff, lda, x, xOff, lda, 0f, c, cOff, n,
                null, 0, false, null, 0, 1);
        syrk.prepare(n, k);
        WorkerPool pool = Gemm.pool();
        int parts = (long) n * n * k / 2 < GemmJob.PARALLEL_MIN_MACS ? 1 : Math.min(pool.threads(), syrk.units);
        try {
            syrk.start(parts);
            if (parts > 1 && pool.tryRun(syrk, parts)) return;
            syrk.start(1);
            syrk.runPart(0, 1);
        } finally {
            syrk.job.release();
        }
    }

    void prepare(int n, int k) {
        this.n = n;
        this.k = k;
        kBlocks = Math.max(1, (k + BlockedGemm.KC - 1) / BlockedGemm.KC); // its own blocks: GEMM's wholeK unmeasured here
        kcMax = (k + kBlocks - 1) / kBlocks;
        rowPanels = 0;
        for (int ir = 0; ir < n; ir += BlockedGemm.panelRows(ir, n)) rowPanels++;
        if (panelStart.length < rowPanels + 1) panelStart = new int[rowPanels + 1];
        for (int p = 0, ir = 0; p <= rowPanels; ir += p < rowPanels ? BlockedGemm.panelRows(ir, n) : 0, p++) {
            panelStart[p] = Math.min(ir, n);
        }
        // Units: at most as many per column panel as the tallest one needs.
        int columnPanels = (n + NR - 1) / NR, most = columnPanels * ((rowPanels + UNIT_TILES - 1) / UNIT_TILES);
        if (unitPanel.length < most) {
            unitPanel = new int[most];
            unitFirst = new int[most];
            unitEnd = new int[most];
        }
        units = 0;
        // A column panel's tiles: one per row panel that starts left of its last column, fewer for each panel leftwards.
        for (int jp = columnPanels - 1, tiles = rowPanels; jp >= 0; jp--) {
            int j1 = Math.min(n, (jp + 1) * NR);
            while (panelStart[tiles - 1] >= j1) tiles--;
            int pieces = (tiles + UNIT_TILES - 1) / UNIT_TILES;
            for (int q = 0; q < pieces; q++, units++) {
                unitPanel[units] = jp;
                unitFirst[units] = tiles * q / pieces; // even pieces
                unitEnd[units] = tiles * (q + 1) / pieces;
            }
        }
    }

    private void start(int parts) {
        unitsPerBlock = PACK_UNITS_PER_PART * parts;
        // The A panels end at the latest at the multiple of MR past n.
        job.sharedPanels.prepare(parts, (n + MR - 1) / MR * MR * kcMax, 1);
        nextUnit.set(0);
    }

    @Override
    public void runPart(int part, int parts) {
        SharedPanels share = job.sharedPanels;
        try {
            float[] tile = GemmWorkspace.current().tile;
            float[] packedA = share.buffer(0), packedB = GemmWorkspace.current().packedB(NR * kcMax);
            int packUnit = share.claimUnit(), packedBefore = 0;
            int unit = nextUnit.getAndIncrement();
            for (int kb = 0; kb < kBlocks; kb++) {
                if (kb > 0) share.await(); // nobody still reads the previous block's panels
                int pc = kb * kcMax, kc = Math.max(0, Math.min(kcMax, k - pc));
                int packEnd = packedBefore + unitsPerBlock;
                for (; packUnit < packEnd; packUnit = share.claimUnit()) {
                    BlockedGemm.packSharedA(job, packUnit - packedBefore, unitsPerBlock, 0, n, pc, kc, packedA, false);
                    share.unitPacked();
                }
                share.awaitPacked(packEnd);
                packedBefore = packEnd;
                float beta = kb == 0 ? 0f : 1f;
                boolean lastBlock = kb == kBlocks - 1;
                // A part's first ticket past this block's units is its first of the next block (one per part).
                for (int end = (kb + 1) * units, taken = 0, packedPanel = -1; unit < end; unit = nextUnit.getAndIncrement(), taken++) {
                    int u = ClaimedChunks.chunkOf(unit - kb * units, part, parts, taken, units);
                    int jp = unitPanel[u], j0 = jp * NR, nr = Math.min(NR, n - j0);
                    // On two parts, consecutive units of a part mostly share their column panel: packed once for them.
                    if (jp != packedPanel) GemmPacking.packB(job, pc, kc, j0, nr, packedB, 0);
                    packedPanel = jp;
                    multiplyPanel(j0, nr, unitFirst[u], unitEnd[u], kc, packedA, packedB, beta, lastBlock, tile);
                    if (lastBlock && !mirror && unitFirst[u] == 0) zeroLower(j0, j0 + nr);
                }
            }
        } catch (RuntimeException | Error e) {
            share.abandon();
            throw e;
        }
    }

    /**
     * Row panels first to end (exclusive) of a k block against the column panel at j0 (nr columns, packed at 0 in
     * packedB): the tile of a row panel that reaches the diagonal stores only its part on or above it.
     */
    private void multiplyPanel(int j0, int nr, int first, int end, int kc, float[] packedA, float[] packedB, float beta,
                               boolean lastBlock, float[] tile) {
        for (int p = first; p < end; p++) {
            int ir = panelStart[p], mr = panelStart[p + 1] - ir;
            GemmMicroKernel.multiplyPacked(BlockedGemm.panelRows(ir, n), kc, packedA, ir * kc, packedB, 0, NR, tile);
            if (j0 < ir + mr) storeUpper(tile, ir, j0, mr, nr, beta);
            else GemmStore.store(job, tile, ir, j0, mr, nr, beta, lastBlock);
            if (lastBlock && mirror) mirrorTile(ir, j0, mr, nr);
        }
    }

    /** Rows j0 to j1 of C left of the diagonal, zero: the column panel's rows, which no other unit writes there. */
    private void zeroLower(int j0, int j1) {
        for (int i = j0; i < j1; i++) {
            int row = job.cOff + i * n;
            java.util.Arrays.fill(job.c, row, row + i, 0f);
        }
    }

    /**
     * A tile that straddles the diagonal: only its elements on or above it, element by element as GemmStore's
     * vector lanes compute them (alpha times the sum, then beta C added by one fma), so the bits do not depend on
     * the path. Below the diagonal C belongs to the units of the column panel that holds that row, which may be running.
     */
    private void storeUpper(float[] tile, int i0, int j0, int mr, int nr, float beta) {
        float[] c = job.c;
        float alpha = job.alpha;
        for (int r = 0; r < mr; r++) {
            int i = i0 + r, row = job.cOff + i * n;
            for (int j = Math.max(j0, i); j < j0 + nr; j++) {
                float out = alpha * tile[r * NR + j - j0];
                c[row + j] = beta != 0f ? Math.fma(c[row + j], beta, out) : out;
            }
        }
    }

    /**
     * The mirror image of the tile just stored at rows i0 to i0 + mr, columns j0 to j0 + nr: C(j, i) = C(i, j) for
     * i < j, read back from C row by row while the tile is in L1, into rows j0 to j0 + nr of the lower triangle,
     * columns i0 to i0 + mr (the panel's other units, perhaps on other parts, write other columns of the same rows,
     * never these elements). Plain scalar copies, one load and one store
     * per float, and no Vector API: the register transposes ({@link RegisterTranspose}) that mirrored blocks of 16
     * rows afterwards allocated in steady state in K-FAC's factors program at 784-500-10 (JDK 17, 1.6 to 4.8 MB per
     * run in each of four JVMs, every JFR sample under the mirror; the kernel tests' small interleaved Grams never
     * showed it). Where they did not allocate (a lone 785 x 785 Gram loop, some JVMs) they were about 15% faster for
     * the whole Gram; read column by column (strided loads, one 12-float store per row) this copy was 6 to 10% slower.
     */
    private void mirrorTile(int i0, int j0, int mr, int nr) {
        float[] c = job.c;
        int cOff = job.cOff;
        for (int i = i0; i < i0 + mr; i++) {
            int row = cOff + i * n;
            for (int j = Math.max(j0, i + 1); j < j0 + nr; j++) c[cOff + j * n + i] = c[row + j];
        }
    }
}
