package org.panagrad.kernels;

/** Plain-loop twin of {@link Gemm}: the reference every optimised GEMM path is tested against. */
public final class GemmScalar {
    private GemmScalar() {}

    /** {@link Gemm#gemm(int, int, int, float, GemmOperand, GemmOperand, float, GemmOperand, GemmEpilogue)}; each element of C is written once. */
    public static void gemm(int m, int n, int k, float alpha, GemmOperand a, GemmOperand b, float beta, GemmOperand c,
                            GemmEpilogue epilogue) {
        gemm(a.transposed(), b.transposed(), m, n, k, alpha, a.array(), a.offset(), a.ld(), b.array(), b.offset(), b.ld(),
                beta, c.array(), c.offset(), c.ld(), epilogue.bias(), epilogue.biasOffset(), epilogue.relu(),
                epilogue.mask(), epilogue.maskOffset());
    }

    /** The same in the strided form of {@link Gemm}'s package-private entry (no vector class is touched). */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc,
                     float[] bias, int biasOff, boolean relu, float[] mask, int maskOff) {
        gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, null, beta, c, cOff, ldc, bias, biasOff, relu, mask, maskOff);
    }

    /** {@link Gemm#gemmRows}: row p of B (as stored) at b[bRows[p]]. */
    static void gemmRows(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int[] bRows,
                         float beta, float[] c, int cOff, int ldc) {
        gemm(false, false, m, n, k, alpha, a, aOff, lda, b, 0, 0, bRows, beta, c, cOff, ldc, null, 0, false, null, 0);
    }

    private static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int[] bRows,
                             float beta, float[] c, int cOff, int ldc,
                             float[] bias, int biasOff, boolean relu, float[] mask, int maskOff) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = bRows != null ? b[bRows[p] + j] : transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    acc += av * bv;
                }
                int ci = cOff + i * ldc + j;
                float v = alpha * acc + (beta == 0f ? 0f : beta * c[ci]);
                if (bias != null) v += bias[biasOff + j];
                if (relu && v < 0f) v = 0f;
                if (mask != null && !(mask[maskOff + i * ldc + j] > 0f)) v = 0f;
                c[ci] = v;
            }
        }
    }
}
