package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The SIMD body of {@link SymmetricGemm}: the blocks of C = alpha op(X)^T op(X) that hold an element on or above
 * the diagonal, by the GEMM micro-kernel over X packed once per block of k. For each k block, X is packed twice,
 * as the row panels of A (MR rows of C each) and as the column panels of B (NR columns), by all parts together
 * (claimed in small units, {@link SharedPanels}: A in its first buffer, B in its second); then the parts claim
 * units of C, each a block of {@link #BLOCK_COLUMNS} columns: its upper part (every row panel that starts above
 * the block's last column against the block's column panels; the tiles that straddle the diagonal store only
 * their elements on or above it) and, in the last k block, the same columns' mirror image, the block's rows of the
 * lower triangle, filled tile by tile from the tile just stored ({@link #mirrorTile}; {@link #upper} zeroes those
 * rows left of the diagonal instead). A unit reads and
 * writes nothing another unit writes, so no part waits for another's unit. Units are claimed alternately from the
 * right half of C and from its left half, each half widest first ({@link #order}): the last ones claimed are short,
 * and two units that run at the same time are not neighbours, whose rows share a cache line at their common edge. With several k blocks a barrier separates one block's
 * products from the next block's packing (the buffers are reused).
 * <p>
 * Two earlier orders and why they went: the lower triangle was filled tile by tile by the part that computed the
 * tile, but a 12-row tile mirrors into 12-float pieces of the rows below, which share cache lines with the
 * neighbouring row panels' pieces, claimed by the other part (at 784-500-10 the 785 x 785 factor took as long on
 * two threads as on one); then, units of C being row panels, the lower triangle was filled after them in blocks of
 * rows, each waiting for the units above it, reading upper elements the other part had written (in its cache) two
 * cache lines per row for one line of data: a quarter of a two-thread Gram went to that pass (the 500 x 500
 * factor: 64 of 278 us, slower than on one thread). By columns, the lower triangle's rows belong to one unit
 * each, so a tile's mirror lands in its own unit's rows: parts share cache lines only at a block's two edges.
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
    /** Units of packing per part and operand, as {@link BlockedGemm#runChunks} cuts a shared block. */
    private static final int PACK_UNITS_PER_PART = 4;
    /**
     * Columns of C per unit (a multiple of NR): two column panels at 16 lanes. Wider units share fewer
     * cache lines between parts but balance two threads worse at n of a few hundred (eight units at 500).
     */
    static final int BLOCK_COLUMNS = Math.max(64, NR);

    /** Holds X as both operands, C and alpha for the packing and the stores; its SharedPanels hold the panels. */
    private final GemmJob job = new GemmJob();
    private final AtomicInteger nextUnit = new AtomicInteger();
    private int n, k, kcMax, kBlocks, rowPanels, units, unitsPerBlock;
    /** Whether the lower triangle is the upper one's mirror image ({@link #symmetric}) or zero ({@link #upper}). */
    private boolean mirror;
    /** The column block of each claimed unit, in claiming order ({@link #orderUnits}); grown, never shrunk. */
    private int[] order = new int[1];
    /** Where each row panel starts (rowPanels + 1 entries, the last n); grown, never shrunk. */
    private int[] panelStart = new int[1];

    private PackedSyrk() {}

    /**
     * C (n x n at cOff, leading dimension n) = alpha op(X)^T op(X), whole (see {@link SymmetricGemm#gram} for
     * {@code columns}): the upper triangle multiplied, the lower one copied from it.
     */
    static void symmetric(boolean columns, int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff) {
        run(true, columns, n, k, alpha, x, xOff, lda, c, cOff);
    }

    /**
     * C's upper triangle (the diagonal and above) as {@link #symmetric}'s, zero below it: no mirror (at 785 x 785,
     * k = 128 the scalar mirror was a quarter of the Gram's time, perf), each unit's rows zeroed left of the
     * diagonal instead, by contiguous fills.
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

    private void prepare(int n, int k) {
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
        units = (n + BLOCK_COLUMNS - 1) / BLOCK_COLUMNS;
        if (order.length < units) order = new int[units];
        orderUnits(units, order);
    }

    /**
     * The claiming order of {@code units} column blocks: the right half's blocks (the widest, units / 2 of them)
     * and the left half's, each from its right end, taken in turn, the left half's rest last.
     */
    static void orderUnits(int units, int[] order) {
        int half = units - units / 2, right = units - 1, left = half - 1;
        for (int u = 0; u < units; u++) order[u] = (u % 2 == 0 && right >= half) || left < 0 ? right-- : left--;
    }

    private void start(int parts) {
        unitsPerBlock = PACK_UNITS_PER_PART * parts;
        // The A panels end at the latest at the multiple of MR past n, the B panels at that of NR.
        int panelFloats = Math.max((n + MR - 1) / MR * MR, (n + NR - 1) / NR * NR) * kcMax;
        job.sharedPanels.prepare(parts, panelFloats);
        nextUnit.set(0);
    }

    @Override
    public void runPart(int part, int parts) {
        SharedPanels share = job.sharedPanels;
        try {
            float[] tile = GemmWorkspace.current().tile;
            float[] packedA = share.buffer(0), packedB = share.buffer(1);
            int packUnit = share.claimUnit(), packedBefore = 0;
            int unit = nextUnit.getAndIncrement();
            for (int kb = 0; kb < kBlocks; kb++) {
                if (kb > 0) share.await(); // nobody still reads the previous block's panels
                int pc = kb * kcMax, kc = Math.max(0, Math.min(kcMax, k - pc));
                int packEnd = packedBefore + 2 * unitsPerBlock;
                for (; packUnit < packEnd; packUnit = share.claimUnit()) {
                    int q = packUnit - packedBefore;
                    if (q < unitsPerBlock) BlockedGemm.packSharedA(job, q, unitsPerBlock, 0, n, pc, kc, packedA, false);
                    else BlockedGemm.packSharedB(job, q - unitsPerBlock, unitsPerBlock, 0, n, pc, kc, packedB);
                    share.unitPacked();
                }
                share.awaitPacked(packEnd);
                packedBefore = packEnd;
                float beta = kb == 0 ? 0f : 1f;
                boolean lastBlock = kb == kBlocks - 1;
                for (int end = (kb + 1) * units; unit < end; unit = nextUnit.getAndIncrement()) {
                    int j0 = order[unit - kb * units] * BLOCK_COLUMNS, j1 = Math.min(n, j0 + BLOCK_COLUMNS);
                    multiplyColumns(j0, j1, kc, packedA, packedB, beta, lastBlock, tile);
                    if (lastBlock && !mirror) zeroLower(j0, j1);
                }
            }
        } catch (RuntimeException | Error e) {
            share.abandon();
            throw e;
        }
    }

    /**
     * The upper part of columns [j0, j1) of a k block: each row panel that starts before j1, top to bottom, against
     * the block's column panels from the first that reaches the diagonal (the row panel stays in L1 while it meets
     * them).
     */
    private void multiplyColumns(int j0, int j1, int kc, float[] packedA, float[] packedB, float beta, boolean lastBlock,
                                 float[] tile) {
        for (int p = 0; p < rowPanels && panelStart[p] < j1; p++) {
            int ir = panelStart[p], h = BlockedGemm.panelRows(ir, n), mr = panelStart[p + 1] - ir;
            for (int jr = Math.max(j0, ir / NR * NR); jr < j1; jr += NR) {
                GemmMicroKernel.multiplyPacked(h, kc, packedA, ir * kc, packedB, jr * kc, NR, tile);
                int nr = Math.min(NR, n - jr);
                if (jr < ir + mr) storeUpper(tile, ir, jr, mr, nr, beta);
                else GemmStore.store(job, tile, ir, jr, mr, nr, beta, lastBlock);
                if (lastBlock && mirror) mirrorTile(ir, jr, mr, nr);
            }
        }
    }

    /** Rows j0 to j1 of C left of the diagonal, zero: the unit's own rows, which no other unit writes there. */
    private void zeroLower(int j0, int j1) {
        for (int i = j0; i < j1; i++) {
            int row = job.cOff + i * n;
            java.util.Arrays.fill(job.c, row, row + i, 0f);
        }
    }

    /**
     * A tile that straddles the diagonal: only its elements on or above it, element by element as GemmStore's
     * vector lanes compute them (alpha times the sum, then beta C added by one fma), so the bits do not depend on
     * the path. Below the diagonal C belongs to the mirror of the unit that owns that row's columns, which may be running.
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
     * i < j, read back from C row by row while the tile is in L1, into rows j0 to j0 + nr of the lower triangle (the
     * unit's own rows: no other part writes them left of the diagonal). Plain scalar copies, one load and one store
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
