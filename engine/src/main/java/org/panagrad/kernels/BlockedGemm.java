package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

/**
 * The cache-blocked loop nest over one band of C (or, in {@link #runChunks}, one claimed chunk at a time): for
 * each block of NC columns and KC steps, B is packed once (KC x NC stays in the 32 MB L3); for each block of
 * MC rows, A is packed (MC x KC = 288 KB); then, slice by slice of B (256 KB, in the 512 KB L2), every MR-row
 * panel of A (12 KB, in L1) meets every NR-wide panel of B (KC x NR = 32 KB) of the slice in the micro-kernel
 * ({@link #multiplyBlock}).
 * <p>
 * Sizes measured on this Zen 3 (1024^3, one thread, medians of interleaved runs): KC = 512 beat 256 by
 * about 10% although its B panel fills L1: every k block re-reads and re-writes C, whose cache misses were
 * 15% of the time at KC = 256 (JFR). NC = 4096 (rather than 512) packs A once per k block, not once per
 * 512 columns. Row and k blocks are cut equal, so none is a sliver (m = 128 is one block, not 120 + 8).
 * <p>
 * When few column panels reuse an A panel (narrow products), packing A costs more than it saves and the
 * kernel reads A in place through its strides. When A is read in place and few row panels reuse a B panel, a
 * row-major B is read in place too; so is a row-major B when A is packed and all rows are one block.
 */
final class BlockedGemm {
    private BlockedGemm() {}

    /** This machine's blocking, chosen once at start-up. */
    static final GemmBlocking BLOCKING = GemmBlocking.forCaches(CacheSizes.MACHINE, MR);
    static final int KC = BLOCKING.kc();
    /** The deepest k that is one k block ({@link GemmBlocking#wholeK}). */
    static final int WHOLE_K = BLOCKING.wholeK();
    static final int MC = BLOCKING.mc();
    static final int NC = BLOCKING.nc();
    /** Floats of the slice of packed B panels that one row panel of A meets in turn (half of L2). */
    private static final int SLICE_FLOATS = BLOCKING.sliceFloats();
    /**
     * Units of packing per part and shared block in {@link #runChunks}: small enough that a part whose core is
     * taken holds the others up little, large enough that claiming costs nothing (1024^3: 8 B panels each).
     */
    private static final int PACK_UNITS_PER_PART = 4;
    /**
     * Below this k block a row-major A stays step-major at 16 lanes ({@link #rowsOfA}), so that whole tiles of a
     * product with alpha = 1, beta = 0 and no epilogue but a mask (GemmBench's, and ReLU's backward dY W^T of an
     * output layer) go from the micro-kernel's registers straight into C ({@link GemmMicroKernel#multiplyPackedInto}):
     * the tile's round trip is then a large share of the work. (Step-major panels store so at every k block.)
     */
    static final int FUSED_STORE_MAX_K = 32;
    /**
     * Pack A only when each A panel meets at least this many B panels. A row-major A at 16 lanes, when it still
     * went through register transposes, took 5: 64 x 128 x 784 (4 B panels, a 784-128-10 MLP's forward at batch
     * 64) ran 12-15% faster with A and B read in place than packed so; packed as rows ({@link #ROWS_OF_A}), with B
     * read in place, it runs 1.13-1.20x the in-place rate (GemmAlternating, both jar orders; 64 x 100 x 300
     * 1.10-1.13x).
     */
    private static final int PACK_A_MIN_PANELS = 3;
    /**
     * When A is read in place, a row-major B is read in place too (B(p, j) at b[bOff + p * ldb + j], one step of
     * a panel two vectors of a row) if a block has at most this many row panels: each B panel then meets few
     * A panels, and packing it (a copy of all of B per k block) costs more than the strided reads it saves.
     * Measured at 16 lanes only (64 x 128 x 784, when its row-major A was read in place too); 8 lanes keep packing B.
     */
    private static final int READ_B_IN_PLACE_MAX_ROW_PANELS = GemmMicroKernel.LANES >= 16 ? 6 : 0;
    /**
     * With A packed and all rows of the band one block (m = 128: 11 row panels), the full panels of a row-major B
     * are read in place, a slice at a time, and only a partial last panel is packed. Packing B was a tenth of a
     * 128 x 500 x 784 product's samples (JFR: a copy of all of a 1.5 MB weight matrix per call, from L3); read in
     * place the kernel takes that time in its own misses with two k blocks, and with k = 784 one block
     * ({@link GemmBlocking#wholeK}) the product ran 1.06-1.08x (Zen 5, 512 bits). 16 lanes only: unmeasured at 8.
     */
    private static final boolean STREAM_B = GemmMicroKernel.LANES >= 16;

    /** Whether a band of C this many columns wide packs A (see {@link #PACK_A_MIN_PANELS}). */
    static boolean packsA(int width) {
        return (Math.min(NC, width) + NR - 1) / NR >= PACK_A_MIN_PANELS;
    }


    static int kBlocks(int k) {
        return k <= WHOLE_K ? 1 : (k + KC - 1) / KC;
    }

    /** Equal k blocks (784 -> 2 x 392 rather than 512 + 272) so no block is a sliver. */
    private static int kcMax(int k) {
        return (k + kBlocks(k) - 1) / kBlocks(k);
    }

    /** Equal row blocks in whole panels (128 -> 1 x 128 rather than 120 + 8). */
    static int mcMax(int rows) {
        int mBlocks = Math.max(1, (rows + MC - 1) / MC);
        return ((rows + mBlocks - 1) / mBlocks + MR - 1) / MR * MR;
    }

    /**
     * At 16 lanes a row-major A (rows contiguous along k, as an input layer's batch) is packed as rows rather than
     * step-major ({@link GemmPacking#packARows}): a copy of each row's kc floats, A_ROW_STRIDE floats apart. The
     * step-major panels took 16 x 16 register transposes through L1 scratch, whose loads of two overlapping
     * stores stall on store forwarding (about a tenth of a 128 x 500 x 784 forward), and read 16 rows for 12.
     * Below FUSED_STORE_MAX_K the step-major panels stay, for the kernels that store from registers.
     */
    static final boolean ROWS_OF_A = MR == 12;
    /**
     * Floats from one row of a row-packed block of A to the next: a constant, so the micro-kernel's broadcasts
     * are fixed displacements. The deepest k block and 16 floats more, not a multiple of 1024 floats (rows 4 KB
     * apart would meet in the same L1 sets).
     */
    static final int A_ROW_STRIDE = aRowStride(Math.max(KC, WHOLE_K));

    static int aRowStride(int deepestBlock) {
        int stride = (deepestBlock + 15) / 16 * 16 + 16;
        return stride % 1024 == 0 ? stride + 16 : stride;
    }

    /** Whether a block of kc steps of this product's A is packed as rows ({@link #ROWS_OF_A}). */
    static boolean rowsOfA(GemmJob job, int kc) {
        return ROWS_OF_A && job.aColStride == 1 && job.aRowStride != 1 && kc >= FUSED_STORE_MAX_K;
    }

    /**
     * Floats of a packed block of this product's A per row: the row stride if its deepest block is packed as rows
     * (a shallower last block is then packed step-major in less), else kcMax.
     */
    private static int packedARow(GemmJob job, int kcMax) {
        return rowsOfA(job, kcMax) ? Math.max(kcMax, A_ROW_STRIDE) : kcMax;
    }

    /** Floats of one packed block of this product's A (all its m rows). */
    static int packedASize(GemmJob job) {
        return mcMax(job.m) * packedARow(job, kcMax(job.k));
    }

    /**
     * The panels of a block of A that start in rows [ir0, ir1), packed as rows ({@code rows}: {@link #rowsOfA}, read
     * by {@link GemmMicroKernel#multiplyRows}) or step-major.
     */
    private static void packA(GemmJob job, int i0, int ir0, int ir1, int mc, int pc, int kc, float[] packedA,
                              boolean rows) {
        if (rows) GemmPacking.packARows(job, i0, ir0, ir1, mc, pc, kc, packedA);
        else GemmPacking.packA(job, i0, ir0, ir1, mc, pc, kc, packedA);
    }

    /** Floats of one packed block of B for a product with n columns and depth k. */
    static int packedBSize(int n, int k) {
        return (Math.min(NC, n) + NR - 1) / NR * NR * kcMax(k);
    }

    /**
     * C's rows [i0, i1) and columns [j0, j1). With {@code share}, this is part {@code part} of a parallel call
     * whose parts pack the operand they all read together: B for row bands (j0 = 0, j1 = n), A for column
     * bands (i0 = 0, i1 = m).
     */
    static void run(GemmJob job, int i0, int i1, int j0, int j1, GemmWorkspace ws, SharedPanels share, int part) {
        if (i0 >= i1 || j0 >= j1) return;
        int k = job.k;
        int kcMax = kcMax(k);
        int kBlocks = kBlocks(k);
        int mcMax = mcMax(i1 - i0);
        boolean shareB = share != null && job.splitRows, shareA = share != null && !job.splitRows;
        boolean packA = shareA || packsA(j1 - j0);
        boolean inPlaceB = !packA && !shareB && job.bRows == null && job.bColStride == 1
                && (mcMax + MR - 1) / MR <= READ_B_IN_PLACE_MAX_ROW_PANELS;
        boolean streamB = STREAM_B && packA && !shareB && job.bRows == null && job.bColStride == 1 && mcMax >= i1 - i0;
        int sharedBlocks = 0;
        float[] tile = ws.tile;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            float[] packedB = shareB ? null : ws.packedB((nc + NR - 1) / NR * NR * kcMax);
            for (int kb = 0; kb < kBlocks; kb++) {
                int pc = kb * kcMax;
                int kc = Math.max(0, Math.min(kcMax, k - pc));
                float beta = kb == 0 ? job.beta : 1f;
                boolean lastBlock = kb == kBlocks - 1;
                if (shareB) {
                    packedB = share.buffer(sharedBlocks++);
                    packSharedB(job, part, job.parts, jc, nc, pc, kc, packedB);
                    share.await();
                } else if (inPlaceB || streamB) {
                    int full = nc / NR * NR;
                    if (full < nc) GemmPacking.packB(job, pc, kc, jc + full, nc - full, packedB, full * kc);
                } else {
                    GemmPacking.packB(job, pc, kc, jc, nc, packedB, 0);
                }
                for (int ic = i0; ic < i1; ic += mcMax) {
                    int mc = Math.min(mcMax, i1 - ic);
                    float[] packedA = null;
                    if (shareA) {
                        packedA = share.buffer(sharedBlocks++);
                        packSharedA(job, part, job.parts, ic, mc, pc, kc, packedA, rowsOfA(job, kc));
                        share.await();
                    } else if (packA) {
                        packedA = ws.packedA(mcMax * packedARow(job, kcMax));
                        packA(job, ic, 0, mc, mc, pc, kc, packedA, rowsOfA(job, kc));
                    }
                    if (packA) {
                        multiplyBlock(job, packedA, packedB, streamB ? job.bOff + pc * job.bRowStride + jc : -1, kc,
                                ic, mc, jc, nc, beta, lastBlock, tile);
                    } else {
                        multiplyInPlace(job, ws, packedB, inPlaceB, pc, kc, kcMax, ic, mc, jc, nc, beta, lastBlock, tile);
                    }
                }
            }
        }
    }

    /**
     * Rows [ic, ic + mc) of C's columns [jc, jc + nc) for k block pc .. pc + kc with A read in place: each panel of
     * B (packed, panel jr at jr * kc, or with {@code inPlaceB} a full panel read from B itself) against the row
     * panels of A in turn.
     */
    private static void multiplyInPlace(GemmJob job, GemmWorkspace ws, float[] packedB, boolean inPlaceB, int pc,
                                        int kc, int kcMax, int ic, int mc, int jc, int nc, float beta,
                                        boolean lastBlock, float[] tile) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            boolean bHere = inPlaceB && nr == NR;
            float[] bArr = bHere ? job.b : packedB;
            int bPanel = bHere ? job.bOff + pc * job.bRowStride + jc + jr : jr * kc;
            int bStep = bHere ? job.bRowStride : NR;
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = Math.min(MR, mc - ir);
                if (mr < MR) {
                    // A partial panel read in place would run past A: pack just this one.
                    float[] edge = ws.packedA(MR * kcMax);
                    GemmPacking.packA(job, ic + ir, mr, pc, kc, edge);
                    GemmMicroKernel.multiplyPacked(panelRows(0, mr), kc, edge, 0, bArr, bPanel, bStep, tile);
                } else {
                    int row0 = job.aOff + (ic + ir) * job.aRowStride + pc * job.aColStride;
                    GemmMicroKernel.multiply(kc, job.a, row0, job.aRowStride, job.aColStride,
                            bArr, bPanel, bStep, tile);
                }
                GemmStore.store(job, tile, ic + ir, jc + jr, mr, nr, beta, lastBlock);
            }
        }
    }

    /**
     * Part {@code part} of a parallel call whose parts claim chunks of C ({@link GemmJob#dynamic}). The operand
     * that is not split is packed first, a group of k blocks at a time (one per shared buffer: all of k when
     * its blocks fit in {@link SharedPanels#GROUP_FLOATS}, as at 1024^3, else two), the parts claiming the
     * packing unit by unit; or, not shared, by every part whole. Then the parts claim chunks until none is left;
     * a chunk runs every k block of the group for its rows (or columns), packing its own share of the split
     * operand before each (or, for a B too narrow to pack A for, reading A in place), so no two
     * parts ever write the same C. A part whose core is taken by something else claims fewer chunks instead
     * of the others waiting for its band, and the others wait for it only where its packing is still
     * missing or, between groups of k blocks, for its chunk in flight.
     * One counter hands out tickets for the chunks of every group in turn: a part that claims a ticket of the
     * next group first passes a barrier that waits for every part to finish this group, and then packs. Which
     * chunk a ticket takes is {@link GemmJob#chunkOf}'s choice (two parts work from opposite ends).
     * Every element of C is still summed in the same order, so the result is that of one thread, bit for bit.
     */
    static void runChunks(GemmJob job, GemmWorkspace ws, SharedPanels share, int part) {
        int m = job.m, n = job.n, k = job.k;
        int kcMax = kcMax(k), kBlocks = kBlocks(k), chunks = job.chunks, size = job.chunkSize;
        boolean rows = job.splitRows, aInPlace = rows && !packsA(n);
        int unitsPerBlock = PACK_UNITS_PER_PART * job.parts, groupBlocks = share == null ? kBlocks : job.groupBlocks;
        float[] tile = ws.tile;
        float[] own = null;
        int ticket = job.nextChunk.getAndIncrement();
        int unit = share == null ? 0 : share.claimUnit(), unitsBefore = 0;
        for (int group = 0, kb0 = 0; kb0 < kBlocks; group++, kb0 += groupBlocks) {
            int kb1 = Math.min(kBlocks, kb0 + groupBlocks);
            if (share == null) {
                // Only with one k block (GemmJob.chooseChunks): the workspace holds one block.
                assert kBlocks == 1 : "unshared row chunks over " + kBlocks + " k blocks";
                own = ws.packedB(packedBSize(n, k));
                GemmPacking.packB(job, 0, k, 0, n, own, 0);
            } else {
                if (group > 0) share.await(); // nobody still reads the buffers' previous blocks
                int unitEnd = unitsBefore + (kb1 - kb0) * unitsPerBlock;
                for (; unit < unitEnd; unit = share.claimUnit()) {
                    int kb = kb0 + (unit - unitsBefore) / unitsPerBlock, q = (unit - unitsBefore) % unitsPerBlock;
                    int pc = kb * kcMax, kc = Math.max(0, Math.min(kcMax, k - pc));
                    if (rows) packSharedB(job, q, unitsPerBlock, 0, n, pc, kc, share.groupBuffer(kb - kb0));
                    else packSharedA(job, q, unitsPerBlock, 0, m, pc, kc, share.groupBuffer(kb - kb0), rowsOfA(job, kc));
                    share.unitPacked();
                }
                share.awaitPacked(unitEnd);
                unitsBefore = unitEnd;
            }
            for (int end = (group + 1) * chunks, taken = 0; ticket < end; ticket = job.nextChunk.getAndIncrement(), taken++) {
                int start = job.chunkOf(ticket, part, taken) * size;
                for (int kb = kb0; kb < kb1; kb++) {
                    int pc = kb * kcMax, kc = Math.max(0, Math.min(kcMax, k - pc));
                    float beta = kb == 0 ? job.beta : 1f;
                    boolean lastBlock = kb == kBlocks - 1;
                    float[] whole = share == null ? own : share.groupBuffer(kb - kb0);
                    if (aInPlace) {
                        // Only with one k block and B packed whole by this part (GemmJob.chooseSplit).
                        multiplyInPlace(job, ws, whole, false, pc, kc, kcMax, start, Math.min(size, m - start), 0, n,
                                beta, lastBlock, tile);
                    } else if (rows) {
                        int mc = Math.min(size, m - start);
                        float[] packedA = ws.packedA(size * packedARow(job, kcMax));
                        packA(job, start, 0, mc, mc, pc, kc, packedA, rowsOfA(job, kc));
                        multiplyBlock(job, packedA, whole, -1, kc, start, mc, 0, n, beta, lastBlock, tile);
                    } else {
                        int nc = Math.min(size, n - start);
                        float[] packedB = ws.packedB(size * kcMax);
                        GemmPacking.packB(job, pc, kc, start, nc, packedB, 0);
                        multiplyBlock(job, whole, packedB, -1, kc, 0, m, start, nc, beta, lastBlock, tile);
                    }
                }
            }
        }
    }

    /**
     * Every packed row panel of a block of A against every packed panel of a block of B, a slice of B panels
     * ({@link #SLICE_FLOATS}, half of L2) at a time: within a slice one row panel of A (12 KB, in L1) meets
     * each B panel in turn (from L2), and C's tiles are visited left to right along their rows, streams the
     * hardware prefetches. Measured alone on this Zen 3, the micro-kernel ran 6-7% faster in this order than
     * with one B panel (32 KB at KC = 512, which does not fit in L1 beside the A panels streaming past it)
     * meeting every A panel in turn, and as fast as on L1-resident panels.
     */
    private static void multiplyBlock(GemmJob job, float[] packedA, float[] packedB, int bInPlace, int kc, int ic,
                                      int mc, int jc, int nc, float beta, boolean lastBlock, float[] tile) {
        int slice = Math.max(1, SLICE_FLOATS / (Math.max(1, kc) * NR)) * NR;
        float[] mask = lastBlock ? job.mask : null;
        boolean rows = rowsOfA(job, kc);
        // Whole tiles of step-major A panels (alpha = 1, beta = 0, no epilogue but a mask) go from registers into C
        // at every k block: a tile's round trip through the tile array costs a share of the FMAs even at k = 128 to
        // 512. Measured at 8 lanes (5-row kernels, under -XX:UseAVX=2 on a Zen 5, GemmAlternating, both jar orders:
        // 784 x 500 x 128 TN 1.20-1.28x, 128 x 784 x 500 NT 1.05-1.28x, 1024^3 and 128 x 500 x 784 1.01-1.11x, whose
        // first k block is stored so) and at 16 (12-row kernels: 784 x 500 x 128 TN 1.03-1.04x). Panels packed as
        // rows (ROWS_OF_A: 16 lanes, from FUSED_STORE_MAX_K on) go through the tile.
        boolean fused = !rows && job.alpha == 1f && beta == 0f
                && !(lastBlock && (job.bias != null || job.relu));
        for (int j0 = 0; j0 < nc; j0 += slice) {
            int j1 = Math.min(nc, j0 + slice);
            for (int ir = 0, h; ir < mc; ir += h) {
                h = panelRows(ir, mc);
                int mr = Math.min(h, mc - ir);
                for (int jr = j0; jr < j1; jr += NR) {
                    boolean here = bInPlace >= 0 && jr + NR <= nc; // a full panel of B read in place
                    if (fused && !here && mr == MR && jr + NR <= nc) {
                        int ci = job.cOff + (ic + ir) * job.ldc + jc + jr;
                        GemmMicroKernel.multiplyPackedInto(kc, packedA, ir * kc, packedB, jr * kc, job.c, ci, job.ldc,
                                mask, ci - job.cOff + job.maskOff);
                        continue;
                    }
                    float[] bArr = here ? job.b : packedB;
                    int bPanel = here ? bInPlace + jr : jr * kc, bStep = here ? job.bRowStride : NR;
                    if (rows) GemmMicroKernel.multiplyRows(h, kc, packedA, ir * A_ROW_STRIDE, bArr, bPanel, bStep, tile);
                    else GemmMicroKernel.multiplyPacked(h, kc, packedA, ir * kc, bArr, bPanel, bStep, tile);
                    GemmStore.store(job, tile, ic + ir, jc + jr, mr, Math.min(NR, nc - jr), beta, lastBlock);
                }
            }
        }
    }

    /**
     * Share q of {@code of} of the column panels of a block of B (columns jc .. jc + nc): whole panels, split
     * by count.
     */
    static void packSharedB(GemmJob job, int q, int of, int jc, int nc, int pc, int kc, float[] packedB) {
        int panels = (nc + NR - 1) / NR;
        int from = panels * q / of * NR, to = Math.min(nc, panels * (q + 1) / of * NR);
        GemmPacking.packB(job, pc, kc, jc + from, to - from, packedB, from * kc);
    }

    /**
     * Share q of {@code of} of the row panels of a block of A: whole panels, split by count; as rows
     * ({@link #rowsOfA}) or step-major ({@link PackedSyrk}'s kernels read only that).
     */
    static void packSharedA(GemmJob job, int q, int of, int ic, int mc, int pc, int kc, float[] packedA, boolean rows) {
        int panels = 0;
        for (int ir = 0; ir < mc; ir += panelRows(ir, mc)) panels++;
        int first = panels * q / of, end = panels * (q + 1) / of;
        int ir0 = mc, ir1 = mc;
        for (int ir = 0, panel = 0; ir < mc; ir += panelRows(ir, mc), panel++) {
            if (panel == first) ir0 = ir;
            if (panel == end) ir1 = ir;
        }
        packA(job, ic, ir0, ir1, mc, pc, kc, packedA, rows);
    }

    /**
     * Height of the packed row panel that starts at row ir of a block of mc rows: MR, except where MR does not
     * divide mc, whose last rows go to one narrower panel: 4 rows for a tail of up to 4, 8 for a tail of up to 8
     * (16 lanes), MR otherwise (9 to 11 rows cost a 12-row panel as much as 8 + 4; at 5 rows, 8 lanes, every
     * tail takes a 4-row panel). A panel of h rows starts at ir * kc in packed A and holds h values per step, zero-padded past mc;
     * the partition never ends past the next multiple of MR.
     */
    static int panelRows(int ir, int mc) {
        int tail = mc % MR;
        if (tail == 0) return MR;
        if (ir < mc - tail) return MR;
        return tail <= 4 ? 4 : tail <= 8 && MR > 8 ? 8 : MR;
    }
}
