package org.panagrad.kernels;

/** Plain-loop twin of {@link PackedSyrk}: the upper triangle of a Gram matrix, element by element. */
final class SymmetricGemmScalar {
    private SymmetricGemmScalar() {}

    /** C(i, j) = alpha sum_p X(p, i) X(p, j) for j >= i (see {@link SymmetricGemm#gram}); below it C is not written. */
    static void upperTriangle(boolean columns, int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff) {
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    acc += columns ? x[xOff + p * lda + i] * x[xOff + p * lda + j] : x[xOff + i * lda + p] * x[xOff + j * lda + p];
                }
                c[cOff + i * n + j] = alpha * acc;
            }
        }
    }
}
