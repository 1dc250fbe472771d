package org.panagrad.kernels;

/**
 * Single-precision GEMM on row-major arrays with offsets and leading dimensions:
 * {@code C = act(alpha * op(A) * op(B) + beta * C + bias)} where op is identity or transpose,
 * {@code bias} (length n, may be null) is added to every row and act is ReLU when {@code relu}.
 * op(A) is m x k, op(B) is k x n, C is m x n. With beta == 0, C is not read (it may hold garbage).
 */
public final class Gemm {
    private Gemm() {}

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc) {
        gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, null, 0, false);
    }

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc,
                            float[] bias, int biasOff, boolean relu) {
        GemmScalar.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
                bias, biasOff, relu);
    }
}
