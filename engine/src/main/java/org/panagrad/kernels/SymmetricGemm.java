package org.panagrad.kernels;

/**
 * The Gram matrix C = alpha op(X)^T op(X) (n x n, symmetric) as BLAS's syrk computes it: only the blocks on and
 * above the diagonal are multiplied, and the upper triangle is then copied onto the lower one, so C is exactly
 * symmetric and costs about half of a general product. The columns are split in halves recursively down to
 * blocks of at most {@link #LEAF} (each upper off-diagonal block one {@link Gemm} call, large enough to split over
 * the worker pool), and the diagonal blocks are ordinary products. Kronecker factors (A = a^T a, G = g^T g) are
 * such products.
 */
public final class SymmetricGemm {
    private SymmetricGemm() {}

    /** Diagonal blocks are at most this wide. */
    static final int LEAF = 128;

    /**
     * Whether n x n products are worth taking by halves (otherwise one general product): from n = 129 on, which
     * saves a quarter (LeNet-5's second convolution: 151 x 151 over 12,800 rows) and, for large n, about half.
     */
    public static boolean worthIt(int n) {
        return n > LEAF;
    }

    /**
     * C (n x n at cOff, leading dimension n) = alpha X^T X where X is k x n (rows of x, lda apart) when
     * {@code columns}, or alpha X X^T where X is n x k when not. C is written, never read.
     */
    public static void gram(boolean columns, int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff) {
        if (n <= 0) return;
        upper(columns, 0, n, n, k, alpha, x, xOff, lda, c, cOff);
        mirror(n, c, cOff);
    }

    /** The upper blocks of C's rows and columns [lo, hi). */
    private static void upper(boolean columns, int lo, int hi, int n, int k, float alpha, float[] x, int xOff, int lda,
                              float[] c, int cOff) {
        if (hi - lo <= LEAF) {
            block(columns, lo, hi, lo, hi, n, k, alpha, x, xOff, lda, c, cOff);
            return;
        }
        int mid = lo + roundUp((hi - lo) / 2, 16);
        upper(columns, lo, mid, n, k, alpha, x, xOff, lda, c, cOff);
        block(columns, lo, mid, mid, hi, n, k, alpha, x, xOff, lda, c, cOff);
        upper(columns, mid, hi, n, k, alpha, x, xOff, lda, c, cOff);
    }

    /** C[r0:r1, c0:c1] = alpha op(X)[:, r0:r1]^T op(X)[:, c0:c1]. */
    private static void block(boolean columns, int r0, int r1, int c0, int c1, int n, int k, float alpha, float[] x,
                              int xOff, int lda, float[] c, int cOff) {
        int rows = columns ? r0 : r0 * lda, cols = columns ? c0 : c0 * lda;
        Gemm.gemm(columns, !columns, r1 - r0, c1 - c0, k, alpha, x, xOff + rows, lda, x, xOff + cols, lda, 0f,
                c, cOff + r0 * n + c0, n, null, 0, false, null, 0);
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

    private static int roundUp(int v, int multiple) {
        return (v + multiple - 1) / multiple * multiple;
    }
}
