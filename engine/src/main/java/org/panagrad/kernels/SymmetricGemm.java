package org.panagrad.kernels;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Gram matrix C = alpha op(X)^T op(X) (n x n, symmetric) as BLAS's syrk computes it: only the tiles on and
 * above the diagonal are multiplied, and the upper triangle is then copied onto the lower one, so C is exactly
 * symmetric and costs about half of a general product (0.58 of it for 785 x 785 in tiles of 128). The tiles are
 * {@link Gemm} calls that the worker pool's threads claim from a counter, each run whole on one thread: one
 * hand-out for the whole product rather than a wake-up and a barrier per tile. Kronecker factors (A = a^T a,
 * G = g^T g) are such products. A tile's result does not depend on who runs it, so C is the same bits on any
 * number of threads; nothing is allocated per call.
 */
public final class SymmetricGemm implements WorkerPool.Task {
    private static final ThreadLocal<SymmetricGemm> PER_THREAD = ThreadLocal.withInitial(SymmetricGemm::new);

    /** Tiles are TILE x TILE (the last row and column of tiles narrower). */
    static final int TILE = 128;

    private final AtomicInteger next = new AtomicInteger();
    private boolean columns;
    private int n, k, tiles, lda;
    private float alpha;
    private float[] x, c;
    private int xOff, cOff;

    private SymmetricGemm() {}

    /** Whether n x n products are worth taking by tiles (otherwise one general product): more than one tile. */
    public static boolean worthIt(int n) {
        return n > TILE;
    }

    /**
     * C (n x n at cOff, leading dimension n) = alpha X^T X where X is k x n (rows of x, lda apart) when
     * {@code columns}, or alpha X X^T where X is n x k when not. C is written, never read.
     */
    public static void gram(boolean columns, int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff) {
        if (n <= 0) return;
        SymmetricGemm job = PER_THREAD.get();
        job.columns = columns;
        job.n = n;
        job.k = k;
        job.alpha = alpha;
        job.x = x;
        job.xOff = xOff;
        job.lda = lda;
        job.c = c;
        job.cOff = cOff;
        job.tiles = (n + TILE - 1) / TILE;
        job.next.set(0);
        WorkerPool pool = Gemm.pool();
        int upper = job.tiles * (job.tiles + 1) / 2;
        try {
            if (!Simd.ENABLED || upper == 1 || !pool.tryRun(job, Math.min(pool.threads(), upper))) job.runPart(0, 1);
            mirror(n, c, cOff);
        } finally {
            job.x = job.c = null;
        }
    }

    @Override
    public void runPart(int part, int parts) {
        int upper = tiles * (tiles + 1) / 2;
        for (int t = next.getAndIncrement(); t < upper; t = next.getAndIncrement()) {
            // Tile t of the upper triangle, row by row: (0, 0), (0, 1), ..., (0, T-1), (1, 1), ...
            int bi = 0, rowLength = tiles;
            while (t >= rowLength) {
                t -= rowLength;
                rowLength--;
                bi++;
            }
            int bj = bi + t;
            int r0 = bi * TILE, r1 = Math.min(n, r0 + TILE), c0 = bj * TILE, c1 = Math.min(n, c0 + TILE);
            int rows = columns ? r0 : r0 * lda, cols = columns ? c0 : c0 * lda;
            Gemm.gemm(columns, !columns, r1 - r0, c1 - c0, k, alpha, x, xOff + rows, lda, x, xOff + cols, lda, 0f,
                    c, cOff + r0 * n + c0, n, null, 0, false, null, 0);
        }
    }

    /** Copies the upper triangle onto the lower one, in square tiles so both sides stay in cache. */
    private static void mirror(int n, float[] c, int cOff) {
        final int tile = 32;
        for (int i0 = 0; i0 < n; i0 += tile) {
            int i1 = Math.min(n, i0 + tile);
            for (int j0 = 0; j0 <= i0; j0 += tile) {
                int j1 = Math.min(n, j0 + tile);
                for (int i = i0; i < i1; i++) {
                    int row = cOff + i * n;
                    for (int j = j0; j < Math.min(j1, i); j++) c[row + j] = c[cOff + j * n + i];
                }
            }
        }
    }
}
