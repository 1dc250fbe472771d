package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The SIMD body of {@link SymmetricGemm}: the blocks of C = alpha op(X)^T op(X) that hold an element on or above
 * the diagonal, by the GEMM micro-kernel over X packed once per block of k. For each k block, X is packed twice,
 * as the row panels of A (MR rows of C each) and as the column panels of B (NR columns), by all parts together
 * (claimed in small units, {@link SharedPanels}: A in its first buffer, B in its second); then the parts claim
 * units of C, a row panel against one slice of column panels (half of L2, as {@link BlockedGemm} meets them),
 * and run the micro-kernel over the panels of the slice from the first one that reaches the diagonal. The
 * tiles that straddle the diagonal store only their elements on or above it. With several k blocks a barrier
 * separates one block's products from the next block's packing (the buffers are reused). Then the parts claim
 * blocks of LANES rows of the lower triangle, top to bottom, and fill each from the upper one ({@link #mirrorRows})
 * once the units it reads are done ({@link #awaitUnitsAbove}), so C comes out whole and symmetric.
 * <p>
 * The mirror first waited for every unit of C: a part descheduled while it held the last unit stalled the
 * others for its whole time slice (at 784-500-10 on two threads, forks at 1.2x and 2.8x the gradient). A block
 * reads only the row panels above it, claimed first; only the bottom blocks can still wait for a unit in flight.
 * <p>
 * The lower triangle was first filled tile by tile, each tile copied transposed by the part that computed it
 * while it was in cache; but a 12-row tile mirrors into 12-float pieces of 32 rows below, which share cache lines
 * with the pieces of the neighbouring row panels, claimed by the other part: at 784-500-10 the 785 x 785 factor
 * took as long on two threads as on one. Rows of the lower triangle owned by one part share no line but at a
 * block's ends.
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

    /** Holds X as both operands, C and alpha for the packing and the stores; its SharedPanels hold the panels. */
    private final GemmJob job = new GemmJob();
    private final AtomicInteger nextUnit = new AtomicInteger();
    /** The mirror's blocks claimed. */
    private final AtomicInteger nextMirror = new AtomicInteger();
    /** 1 for each unit of C done in the last k block (a mirror block waits for the ones it reads); grown, never shrunk. */
    private AtomicIntegerArray unitDone = new AtomicIntegerArray(1);
    private int n, k, kcMax, kBlocks, rowPanels, slices, sliceColumns, unitsPerBlock, unitsOfC;
    /** Where each row panel starts (rowPanels + 1 entries, the last n); grown, never shrunk. */
    private int[] panelStart = new int[1];
    /** Row panels that start before each slice's end (units of C of the slice); grown, never shrunk. */
    private int[] slicePanels = new int[1];

    private PackedSyrk() {}

    /**
     * C (n x n at cOff, leading dimension n) = alpha op(X)^T op(X), whole (see {@link SymmetricGemm#gram} for
     * {@code columns}): the upper triangle multiplied, the lower one copied from it.
     */
    static void symmetric(boolean columns, int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff) {
        PackedSyrk syrk = PER_THREAD.get();
        // op(A) = op(X)^T, op(B) = op(X): X^T X reads X as a transposed A and a row-major B, X X^T the other way.
        syrk.job.configure(columns, !columns, n, n, k, alpha, x, xOff, lda, x, xOff, lda, 0f, c, cOff, n,
                null, 0, false, null, 0, 1);
        syrk.prepare(n, k);
        WorkerPool pool = Gemm.pool();
        int parts = (long) n * n * k / 2 < GemmJob.PARALLEL_MIN_MACS ? 1 : Math.min(pool.threads(), syrk.rowPanels);
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
        sliceColumns = Math.max(1, BlockedGemm.BLOCKING.sliceFloats() / (Math.max(1, kcMax) * NR)) * NR;
        slices = (n + sliceColumns - 1) / sliceColumns;
        if (slicePanels.length < slices) slicePanels = new int[slices];
        unitsOfC = 0;
        for (int s = 0, panels = 0; s < slices; s++) {
            while (panels < rowPanels && panelStart[panels] < sliceEnd(s)) panels++;
            slicePanels[s] = panels;
            unitsOfC += panels;
        }
        if (unitDone.length() < unitsOfC) unitDone = new AtomicIntegerArray(unitsOfC);
    }

    private int sliceEnd(int s) {
        return Math.min(n, (s + 1) * sliceColumns);
    }

    private void start(int parts) {
        unitsPerBlock = PACK_UNITS_PER_PART * parts;
        // The A panels end at the latest at the multiple of MR past n, the B panels at that of NR.
        int panelFloats = Math.max((n + MR - 1) / MR * MR, (n + NR - 1) / NR * NR) * kcMax;
        job.sharedPanels.prepare(parts, panelFloats);
        nextUnit.set(0);
        for (int u = 0; u < unitsOfC; u++) unitDone.set(u, 0);
        nextMirror.set(0);
    }

    @Override
    public void runPart(int part, int parts) {
        SharedPanels share = job.sharedPanels;
        try {
            float[] tile = GemmWorkspace.current().tile;
            float[] packedA = share.buffer(0), packedB = share.buffer(1);
            int perBlock = unitsOfC;
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
                for (int end = (kb + 1) * perBlock; unit < end; unit = nextUnit.getAndIncrement()) {
                    multiplyUnit(unit - kb * perBlock, kc, packedA, packedB, beta, lastBlock, tile);
                    if (lastBlock) unitDone.set(unit - kb * perBlock, 1);
                }
            }
            int blocks = (n + LANES - 1) / LANES;
            for (int m = nextMirror.getAndIncrement(); m < blocks; m = nextMirror.getAndIncrement()) {
                // Top to bottom: a block reads the units of the row panels above its last row, claimed early, so
                // only the last blocks can wait for a unit another part still has in flight.
                awaitUnitsAbove(m * LANES, share);
                mirrorRows(m * LANES);
            }
        } catch (RuntimeException | Error e) {
            share.abandon();
            throw e;
        }
    }

    /**
     * Waits until the units that hold the upper triangle's elements C(j, i), j < i, of rows i0 to i0 + LANES are
     * done: in each slice that holds one of those columns, the row panels that start above the block's last row.
     */
    private void awaitUnitsAbove(int i0, SharedPanels share) {
        int i1 = Math.min(n, i0 + LANES), first = 0;
        for (int s = 0; s < slices; first += slicePanels[s], s++) {
            if (sliceEnd(s) <= i0 || s * sliceColumns >= i1) continue;
            for (int u = 0; u < slicePanels[s] && panelStart[u] < i1; u++) {
                for (int spins = 0; unitDone.get(first + u) == 0; spins++) share.spinOrYield(spins);
            }
        }
    }

    /**
     * Unit u of a k block: slice by slice, the row panels that start before the slice's end, top to bottom (the
     * first units of a slice are the longest, so the last ones claimed are short).
     */
    private void multiplyUnit(int u, int kc, float[] packedA, float[] packedB, float beta, boolean lastBlock, float[] tile) {
        int s = 0;
        while (u >= slicePanels[s]) u -= slicePanels[s++];
        int j1 = sliceEnd(s), ir = panelStart[u];
        int h = BlockedGemm.panelRows(ir, n), mr = panelStart[u + 1] - ir;
        // The first column panel of the slice that holds a column >= ir.
        for (int jr = Math.max(s * sliceColumns, ir / NR * NR); jr < j1; jr += NR) {
            GemmMicroKernel.multiplyPacked(h, kc, packedA, ir * kc, packedB, jr * kc, NR, tile);
            int nr = Math.min(NR, n - jr);
            if (jr < ir + mr) storeUpper(tile, ir, jr, mr, nr, beta);
            else GemmStore.store(job, tile, ir, jr, mr, nr, beta, lastBlock);
        }
    }

    /**
     * A tile that straddles the diagonal: only its elements on or above it, element by element as GemmStore's
     * vector lanes compute them (alpha times the sum, then beta C added by one fma), so the bits do not depend on
     * the path. Below the diagonal C belongs to the mirror of another unit, which may be running.
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
     * Rows i0 to i0 + LANES of the lower triangle, C(i, j) = C(j, i) for j < i: the whole LANES x LANES blocks left
     * of the diagonal by register transposes ({@link RegisterTranspose}: about one vector operation per float), the
     * block on the diagonal and a last block of fewer rows element by element. Written element by element
     * throughout (one strided load per float), the mirror took a third of the 785 x 785 factor of 784-500-10
     * (0.25 of 0.72 ms, 1 thread). The transposes' vectors stay inside RegisterTranspose's own methods, which are
     * too big to be inlined here: the register transposes once called from here were inlined and, on JDK 17, did
     * not stay allocation-free once the layout copies shared them (KroneckerCurvatureTest's factors program, about
     * 100 KB per run), before they were split (session 14).
     */
    private void mirrorRows(int i0) {
        float[] c = job.c;
        int cOff = job.cOff, i1 = Math.min(n, i0 + LANES);
        int blocked = i1 - i0 == LANES && RegisterTranspose.AVAILABLE ? i0 : 0;
        for (int j0 = 0; j0 < blocked; j0 += LANES) {
            RegisterTranspose.rows(c, cOff + j0 * n + i0, n, LANES, c, cOff + i0 * n + j0, n);
        }
        for (int j0 = blocked; j0 < i1; j0 += LANES) {
            for (int i = i0; i < i1; i++) {
                int row = cOff + i * n, j1 = Math.min(j0 + LANES, i);
                for (int j = j0; j < j1; j++) c[row + j] = c[cOff + j * n + i];
            }
        }
    }
}
