package org.panagrad.kernels;

/**
 * The Gram matrix C = alpha op(X)^T op(X) (n x n, symmetric) as BLAS's syrk computes it: only the blocks on and
 * above the diagonal are multiplied ({@link PackedSyrk}: X packed once per block of k, the GEMM micro-kernel over
 * the upper row and column panels, each tile copied onto the lower triangle as it is stored;
 * {@link SymmetricGemmScalar} without SIMD, then a copy of the upper triangle), so C is exactly symmetric and costs about half of a general product. Kronecker
 * factors (A = a^T a, G = g^T g) are such products. A few long rows (X X^T, n up to {@link RowGram#MAX_N}, a
 * convolution's factors in channel-major order) go to {@link RowGram}'s dot products instead. C is the same bits on any number of threads; nothing is
 * allocated per call.
 */
public final class SymmetricGemm {
    /** Products this wide or narrower go to one general GEMM. */
    static final int MIN_N = 128;

    private SymmetricGemm() {}

    /**
     * Whether the n x n Gram product of {@code columns} (see {@link #gram}) over k is worth taking here: by its
     * upper blocks when wide, by {@link RowGram} when a few rows are long (otherwise one general product).
     */
    public static boolean worthIt(boolean columns, int n, int k) {
        return n > MIN_N || RowGram.applies(columns, n, k);
    }

    /**
     * C (n x n at cOff, leading dimension n) = alpha X^T X where X is k x n (rows of x, lda apart) when
     * {@code columns}, or alpha X X^T where X is n x k when not. C is written, never read.
     */
    public static void gram(boolean columns, int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff) {
        if (n <= 0) return;
        if (RowGram.applies(columns, n, k)) {
            RowGram.gram(n, k, alpha, x, xOff, lda, c, cOff);
        } else if (Simd.ENABLED) {
            PackedSyrk.symmetric(columns, n, k, alpha, x, xOff, lda, c, cOff);
        } else {
            SymmetricGemmScalar.upperTriangle(columns, n, k, alpha, x, xOff, lda, c, cOff);
            mirrorUpper(n, c, cOff);
        }
    }

    /**
     * {@link #gram}'s upper triangle (the diagonal and above), zero below the diagonal: the same bits there as
     * {@link #gram}'s on every path, without copying them onto the lower triangle. For consumers that read the
     * upper triangle only (Kronecker factors: see {@code ScaledGram}'s {@code upper}).
     */
    public static void upperGram(boolean columns, int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff) {
        if (n <= 0) return;
        if (RowGram.applies(columns, n, k)) {
            RowGram.gram(n, k, alpha, x, xOff, lda, c, cOff);
            zeroLower(n, c, cOff);
        } else if (Simd.ENABLED) {
            PackedSyrk.upper(columns, n, k, alpha, x, xOff, lda, c, cOff);
        } else {
            SymmetricGemmScalar.upperTriangle(columns, n, k, alpha, x, xOff, lda, c, cOff);
            zeroLower(n, c, cOff);
        }
    }

    private static void zeroLower(int n, float[] c, int cOff) {
        for (int i = 1; i < n; i++) java.util.Arrays.fill(c, cOff + i * n, cOff + i * n + i, 0f);
    }

    /**
     * Copies the upper triangle of the n x n matrix at cOff onto its lower one (what {@link #upperGram} leaves
     * zero), in square tiles so both sides stay in cache.
     */
    public static void mirrorUpper(int n, float[] c, int cOff) {
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
