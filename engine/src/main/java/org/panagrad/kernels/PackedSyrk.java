package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The SIMD body of {@link SymmetricGemm}: the blocks of C = alpha op(X)^T op(X) that hold an element on or above
 * the diagonal, by the GEMM micro-kernel over X packed once per block of k. For each k block, X is packed twice,
 * as the row panels of A (MR rows of C each) and as the column panels of B (NR columns), by all parts together
 * (claimed in small units, {@link SharedPanels}: A in its first buffer, B in its second); then the parts claim
 * units of C, a row panel against one slice of column panels (half of L2, as {@link BlockedGemm} meets them),
 * and run the micro-kernel over the panels of the slice from the first one that reaches the diagonal. The
 * tiles that straddle the diagonal store only their elements on or above it, and in the last k block every tile
 * is also copied onto the lower triangle by the part that computed it, so C comes out whole and symmetric.
 * With several k blocks a barrier separates one block's products from
 * the next block's packing (the buffers are reused).
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
        kBlocks = BlockedGemm.kBlocks(k);
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
                    if (q < unitsPerBlock) BlockedGemm.packSharedA(job, q, unitsPerBlock, 0, n, pc, kc, packedA);
                    else BlockedGemm.packSharedB(job, q - unitsPerBlock, unitsPerBlock, 0, n, pc, kc, packedB);
                    share.unitPacked();
                }
                share.awaitPacked(packEnd);
                packedBefore = packEnd;
                float beta = kb == 0 ? 0f : 1f;
                boolean lastBlock = kb == kBlocks - 1;
                for (int end = (kb + 1) * perBlock; unit < end; unit = nextUnit.getAndIncrement()) {
                    multiplyUnit(unit - kb * perBlock, kc, packedA, packedB, beta, lastBlock, tile);
                }
            }
        } catch (RuntimeException | Error e) {
            share.abandon();
            throw e;
        }
    }

    /**
     * Unit u of a k block: slice by slice, the row panels that start before the slice's end, top to bottom (the
     * first units of a slice are the longest, so the last ones claimed are short). In the last k block each tile,
     * once stored, is also copied transposed onto the lower triangle: the mirror runs in parallel, on rows still
     * in cache, where a pass after the product ran alone and cost half as much as the product itself.
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
            if (lastBlock) mirror(ir, jr, mr, nr);
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

    /** C(j, i) = C(i, j) for the tile's elements strictly above the diagonal: row by row of the lower triangle. */
    private void mirror(int i0, int j0, int mr, int nr) {
        float[] c = job.c;
        int cOff = job.cOff;
        for (int j = Math.max(j0, i0 + 1); j < j0 + nr; j++) {
            int to = cOff + j * n, rows = Math.min(mr, j - i0);
            for (int r = 0; r < rows; r++) c[to + i0 + r] = c[cOff + (i0 + r) * n + j];
        }
    }
}
