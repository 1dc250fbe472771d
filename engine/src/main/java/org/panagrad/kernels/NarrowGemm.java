package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

/**
 * Products whose C is at most one vector wide (n <= LANES): an output layer's 10 classes, and its two backward
 * products with n = 10; at 8 lanes also a C of up to 10 columns with A transposed ({@link #TRANSPOSED_MAX_N}). The blocked path's tiles are two vectors wide, so at 16 lanes it would compute 32
 * columns to keep 10; here every row is one vector ({@link GemmMicroKernel#narrowRowMajor} and
 * {@link GemmMicroKernel#narrowColumnMajor}, 12 rows at a time),
 * B is packed once into a panel one vector wide (all of k: a few KB to tens of KB) and A is read in place,
 * never packed: a row panel meets B once, so packing A would copy as many floats as it saves reading.
 * All of k is summed in one pass, so C is written once; the parts of a parallel call claim chunks of rows,
 * and every element is summed in the same order whatever the thread count.
 * <p>
 * Small products of any width ({@link #small}: resnet8's fully connected layer, whose three products are its only
 * GEMMs) come here too, C one vector of columns at a time, so that they run on the two kernels every output
 * layer keeps hot. On the blocked path such a product called its edge kernels (8 or 4 rows, 10 columns) once or
 * twice per training step: a method called that rarely stays C1 code, which allocates a heap vector per Vector
 * API call, until C2's invocation threshold (on resnet8, 1 MB per 10 steps for 1,600 steps, about 150 s). Here
 * each product calls one of the two kernels once per 12 rows and vector of columns, and each element is still
 * summed from zero over k in order with FMAs and stored through the same epilogue, so the bits are the blocked
 * path's (k at most {@link BlockedGemm#KC}: one k block there).
 */
final class NarrowGemm {
    private NarrowGemm() {}

    /** Rows per kernel call: 12 accumulators cover the FMA latency on two pipes (8 in flight). */
    static final int ROWS = 12;

    static boolean applies(int n) {
        return n <= LANES;
    }

    /**
     * The widest C computed by tiles of its transpose ({@link #transposedTiles}): one vector, and at 8 lanes two
     * 5-row panels, so an output layer's 10 classes fill 10 of the 10 kernel rows where the blocked path's tiles
     * (16 columns) compute 16 to keep 10 (500 x 10 x 128 TN under -XX:UseAVX=2).
     */
    static final int TRANSPOSED_MAX_N = LANES == 8 ? Math.max(LANES, 2 * MR) : LANES;

    /**
     * Whether a product that is neither narrow nor small still runs here, by tiles of its transpose. Its sums are
     * one pass over all of k from zero, where the blocked path adds k blocks' partial sums once k exceeds
     * {@link BlockedGemm#WHOLE_K}: so at 8 lanes, n = 9 or 10 with A transposed, the bits differ between m below NR
     * (blocked) and m of NR or more (here) for such a deep k; within one shape they never depend on the threads.
     */
    static boolean transposedWide(int m, int n, int k, int aColStride) {
        return n > LANES && transposedTiles(m, n, k, aColStride);
    }

    /** Products up to this many multiply-adds run here whatever their width (see the class comment). */
    static final long SMALL_MACS = 1L << 17;

    /**
     * Whether a product is small enough to run here at any width: at most {@link #SMALL_MACS} multiply-adds (a
     * few microseconds; below {@link GemmJob#PARALLEL_MIN_MACS}, so one part) in one k block.
     */
    static boolean small(int m, int n, int k) {
        return (long) m * n * k <= SMALL_MACS && k <= BlockedGemm.KC;
    }

    /**
     * Whether the product computes C by tiles of its transpose: when A is transposed (its values of a step, a
     * row of C apart, are contiguous) and has at least NR rows. The blocked path's micro-kernel then takes B's
     * columns as its MR "rows" (a panel of B, packed, all of k) and reads NR rows of C's worth of A per step in
     * place, two full vectors: at n = 10 and 12-row panels, 20 of 24 FMAs count, against 10 of 16 lanes of the
     * one-vector rows. (H^T dY of an output layer, 500 x 10 x 128: the rows of A are the batch's activations.)
     * Not for a small product: its few tiles would be the only calls of the 10-row kernel and of the tile's
     * transpose, too few to get them compiled by C2.
     */
    static boolean transposedTiles(GemmJob job) {
        return transposedTiles(job.m, job.n, job.k, job.aColStride);
    }

    private static boolean transposedTiles(int m, int n, int k, int aColStride) {
        return aColStride != 1 && m >= NR && n <= TRANSPOSED_MAX_N && !small(m, n, k);
    }

    /** Rows of C per kernel call, the unit of a parallel call's chunks. */
    static int rowStep(GemmJob job) {
        return transposedTiles(job) ? NR : ROWS;
    }

    /**
     * This part's rows of the product: all of them with one part, else the chunks of {@link GemmJob#chunkSize}
     * rows it claims ({@link GemmJob#chunkOf}).
     */
    static void run(GemmJob job, GemmWorkspace ws, int part, int parts) {
        int k = job.k, m = job.m;
        boolean transposed = transposedTiles(job);
        float[] panel;
        if (transposed) {
            panel = ws.packedB(Math.max(1, k) * panelsHeight(job.n) + LANES);
            packColumns(job, panel);
        } else {
            panel = ws.packedB(Math.max(1, k) * LANES * columnPanels(job.n));
            packB(job, panel);
        }
        if (parts == 1) {
            if (transposed) transposedRows(job, 0, m, panel, ws);
            else rows(job, 0, m, panel, ws);
            return;
        }
        int size = job.chunkSize;
        for (int taken = 0, ticket; (ticket = job.nextChunk.getAndIncrement()) < job.chunks; taken++) {
            int i0 = job.chunkOf(ticket, part, taken) * size, i1 = Math.min(m, i0 + size);
            if (transposed) transposedRows(job, i0, i1, panel, ws);
            else rows(job, i0, i1, panel, ws);
        }
    }

    /** Panels of B one vector wide that cover n columns. */
    private static int columnPanels(int n) {
        return (n + LANES - 1) / LANES;
    }

    /** The rows of the B panels over n columns (at most the next multiple of MR). */
    private static int panelsHeight(int n) {
        int height = 0;
        for (int jr = 0, h; jr < n; jr += h) {
            h = panelRows(jr, n);
            height += h;
        }
        return height;
    }

    /**
     * Height of the B panel at column jr: BlockedGemm.panelRows' partition, except that at 12-row tiles a last 9 or
     * 10 columns (an output layer's 10 classes) take a 10-row panel: 20 accumulators rather than 24, for the
     * same 10 columns of C (the FMAs bound the kernel).
     */
    private static int panelRows(int jr, int n) {
        int w = n - jr;
        return MR == 12 && w > 8 && w <= 10 ? 10 : BlockedGemm.panelRows(jr, n);
    }

    /** Rows [i0, i1) of C by NR-row tiles of C's transpose: every panel of B's columns against NR rows of A. */
    private static void transposedRows(GemmJob job, int i0, int i1, float[] panel, GemmWorkspace ws) {
        int k = job.k, n = job.n, m = job.m;
        float[] tile = ws.tile;
        for (int i = i0; i < i1; i += NR) {
            int rows = Math.min(NR, i1 - i);
            // As in rows(): a last tile short of NR rows reads the NR rows that end at row m.
            int start = Math.min(i, m - NR);
            for (int jr = 0, h; jr < n; jr += h) {
                h = panelRows(jr, n);
                GemmMicroKernel.multiplyPacked(h, k, panel, jr * k, job.a, job.aOff + start, job.aColStride, tile);
                GemmStore.storeTransposed(job, tile, h, i - start, i, rows, jr, Math.min(h, n - jr), ws.transposedTile, ws.row);
            }
        }
    }

    /**
     * The columns of B as panels of A rows would be: panel[jr * k + p * h + r] = B(p, jr + r), zero past n. Rows of
     * B contiguous: a copy of the panel's columns per step. No Vector API here: this runs a few times per training
     * step with a short loop, so it can stay C1 code for thousands of steps, and C1 code allocates a heap vector
     * per Vector API call (49.5 KB per resnet8 step with the masked loads this had).
     */
    private static void packColumns(GemmJob job, float[] panel) {
        float[] b = job.b;
        int k = job.k, n = job.n, rs = job.bRowStride, cs = job.bColStride;
        for (int jr = 0, h; jr < n; jr += h) {
            h = panelRows(jr, n);
            int w = Math.min(h, n - jr);
            for (int p = 0; p < k; p++) {
                int at = job.bOff + p * rs + jr * cs, d = jr * k + p * h;
                if (cs == 1) System.arraycopy(b, at, panel, d, w);
                else for (int r = 0; r < w; r++) panel[d + r] = b[at + r * cs];
                for (int r = w; r < h; r++) panel[d + r] = 0f;
            }
        }
    }

    /** Rows [i0, i1) of C, 12 rows and one vector of columns (one B panel) per kernel call. */
    private static void rows(GemmJob job, int i0, int i1, float[] panel, GemmWorkspace ws) {
        int k = job.k, m = job.m, n = job.n, panelSize = Math.max(1, k) * LANES;
        float[] tile = ws.tile;
        for (int i = i0; i < i1; i += ROWS) {
            int rows = Math.min(ROWS, i1 - i);
            if (m < ROWS) {
                // Fewer rows than the kernel's: pack them, zero-padded.
                float[] edge = ws.packedA(ROWS * k);
                packRows(job, i, rows, edge);
                for (int j0 = 0, bp = 0; j0 < n; j0 += LANES, bp += panelSize) {
                    GemmMicroKernel.narrowColumnMajor(k, edge, 0, ROWS, panel, bp, tile);
                    GemmStore.storeRows(job, tile, 0, LANES, i, rows, j0, Math.min(LANES, n - j0), ws.row);
                }
                continue;
            }
            // A last panel short of ROWS rows reads the ROWS rows that end at row m (some another panel's, or
            // another part's) and stores its own: recomputing a few rows costs less than packing them.
            int start = Math.min(i, m - ROWS);
            for (int j0 = 0, bp = 0; j0 < n; j0 += LANES, bp += panelSize) {
                if (job.aColStride == 1) {
                    GemmMicroKernel.narrowRowMajor(k, job.a, job.aOff + start * job.aRowStride, job.aRowStride, panel, bp, tile);
                } else {
                    GemmMicroKernel.narrowColumnMajor(k, job.a, job.aOff + start, job.aColStride, panel, bp, tile);
                }
                GemmStore.storeRows(job, tile, (i - start) * LANES, LANES, i, rows, j0, Math.min(LANES, n - j0), ws.row);
            }
        }
    }

    /**
     * panel[jp * k * LANES + p * LANES + j] = B(p, jp * LANES + j), zero past n: one panel one vector wide per
     * vector of C's columns. Copies, as packColumns (why there).
     */
    private static void packB(GemmJob job, float[] panel) {
        float[] b = job.b;
        int k = job.k, n = job.n, rs = job.bRowStride, cs = job.bColStride, panelSize = Math.max(1, k) * LANES;
        for (int j0 = 0, bp = 0; j0 < n; j0 += LANES, bp += panelSize) {
            int w = Math.min(LANES, n - j0);
            for (int p = 0; p < k; p++) {
                int at = job.bOff + p * rs + j0 * cs, d = bp + p * LANES;
                if (cs == 1) System.arraycopy(b, at, panel, d, w);
                else for (int j = 0; j < w; j++) panel[d + j] = b[at + j * cs];
                for (int j = w; j < LANES; j++) panel[d + j] = 0f;
            }
        }
    }

    /** edge[p * ROWS + r] = A(i0 + r, p) for r < rows, zero for the rows past them. */
    private static void packRows(GemmJob job, int i0, int rows, float[] edge) {
        float[] a = job.a;
        int rs = job.aRowStride, cs = job.aColStride;
        for (int p = 0; p < job.k; p++) {
            int at = job.aOff + i0 * rs + p * cs;
            for (int r = 0; r < ROWS; r++) edge[p * ROWS + r] = r < rows ? a[at + r * rs] : 0f;
        }
    }
}
