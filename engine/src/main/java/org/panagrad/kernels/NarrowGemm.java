package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.F;
import static org.panagrad.kernels.GemmMicroKernel.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Products whose C is at most one vector wide (n <= LANES): an output layer's 10 classes, and its two backward
 * products with n = 10. The blocked path's tiles are two vectors wide, so at 16 lanes it would compute 32
 * columns to keep 10; here every row is one vector ({@link GemmMicroKernel#narrowRowMajor} and
 * {@link GemmMicroKernel#narrowColumnMajor}, 12 rows at a time),
 * B is packed once into a panel one vector wide (all of k: a few KB to tens of KB) and A is read in place,
 * never packed: a row panel meets B once, so packing A would copy as many floats as it saves reading.
 * All of k is summed in one pass, so C is written once; the parts of a parallel call claim chunks of rows,
 * and every element is summed in the same order whatever the thread count.
 */
final class NarrowGemm {
    private NarrowGemm() {}

    /** Rows per kernel call: 12 accumulators cover the FMA latency on two pipes (8 in flight). */
    static final int ROWS = 12;
    /** Lane j holds j: compared with n, the columns of a narrow C. */
    private static final float[] LANE_INDEX = new float[LANES];

    static {
        for (int j = 0; j < LANES; j++) LANE_INDEX[j] = j;
    }

    static boolean applies(int n) {
        return n <= LANES;
    }

    /**
     * This part's rows of the product: all of them with one part, else the chunks of {@link GemmJob#chunkSize}
     * rows it claims from {@link GemmJob#nextChunk}.
     */
    static void run(GemmJob job, GemmWorkspace ws, int parts) {
        int k = job.k, m = job.m;
        float[] panel = ws.packedB(Math.max(1, k) * LANES);
        packB(job, panel);
        if (parts == 1) {
            rows(job, 0, m, panel, ws);
            return;
        }
        int size = job.chunkSize;
        for (int chunk = job.nextChunk.getAndIncrement(); chunk < job.chunks; chunk = job.nextChunk.getAndIncrement()) {
            rows(job, chunk * size, Math.min(m, (chunk + 1) * size), panel, ws);
        }
    }

    private static void rows(GemmJob job, int i0, int i1, float[] panel, GemmWorkspace ws) {
        int k = job.k, m = job.m;
        float[] tile = ws.tile;
        for (int i = i0; i < i1; i += ROWS) {
            int rows = Math.min(ROWS, i1 - i);
            if (m < ROWS) {
                // Fewer rows than the kernel's: pack them, zero-padded.
                float[] edge = ws.packedA(ROWS * k);
                packRows(job, i, rows, edge);
                GemmMicroKernel.narrowColumnMajor(k, edge, 0, ROWS, panel, 0, tile);
                GemmStore.storeNarrow(job, tile, 0, i, rows);
                continue;
            }
            // A last panel short of ROWS rows reads the ROWS rows that end at row m (some another panel's, or
            // another part's) and stores its own: recomputing a few rows costs less than packing them.
            int start = Math.min(i, m - ROWS);
            if (job.aColStride == 1) {
                GemmMicroKernel.narrowRowMajor(k, job.a, job.aOff + start * job.aRowStride, job.aRowStride, panel, 0, tile);
            } else {
                GemmMicroKernel.narrowColumnMajor(k, job.a, job.aOff + start, job.aColStride, panel, 0, tile);
            }
            GemmStore.storeNarrow(job, tile, i - start, i, rows);
        }
    }

    /** panel[p * LANES + j] = B(p, j) for j < n, zero for the lanes past n. */
    private static void packB(GemmJob job, float[] panel) {
        float[] b = job.b;
        int k = job.k, n = job.n, rs = job.bRowStride, cs = job.bColStride;
        int p = 0;
        if (cs == 1) {
            // Rows of B contiguous: a vector load (past the row, within the array) with the lanes past n zeroed.
            VectorMask<Float> columns = FloatVector.fromArray(F, LANE_INDEX, 0).compare(VectorOperators.LT, (float) n);
            FloatVector zero = FloatVector.zero(F);
            for (int at = job.bOff; p < k && at + LANES <= b.length; p++, at += rs) {
                zero.blend(FloatVector.fromArray(F, b, at), columns).intoArray(panel, p * LANES);
            }
        }
        for (; p < k; p++) {
            int at = job.bOff + p * rs;
            for (int j = 0; j < LANES; j++) panel[p * LANES + j] = j < n ? b[at + j * cs] : 0f;
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
