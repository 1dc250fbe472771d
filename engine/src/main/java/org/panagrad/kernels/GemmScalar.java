package org.panagrad.kernels;

/** Plain-loop twin of {@link Gemm}: the reference every optimised GEMM path is tested against. */
public final class GemmScalar {
    private GemmScalar() {}

    /** {@link Gemm#gemm(int, int, int, float, GemmOperand, GemmOperand, float, GemmOperand, GemmEpilogue)}; each element of C is written once. */
    public static void gemm(int m, int n, int k, float alpha, GemmOperand a, GemmOperand b, float beta, GemmOperand c,
                            GemmEpilogue epilogue) {
        float[] aa = a.array(), ba = b.array(), ca = c.array(), bias = epilogue.bias(), mask = epilogue.mask();
        int lda = a.ld(), ldb = b.ld(), ldc = c.ld();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    float av = a.transposed() ? aa[a.offset() + p * lda + i] : aa[a.offset() + i * lda + p];
                    float bv = b.transposed() ? ba[b.offset() + j * ldb + p] : ba[b.offset() + p * ldb + j];
                    acc += av * bv;
                }
                int ci = c.offset() + i * ldc + j;
                float v = alpha * acc + (beta == 0f ? 0f : beta * ca[ci]);
                if (bias != null) v += bias[epilogue.biasOffset() + j];
                if (epilogue.relu() && v < 0f) v = 0f;
                if (mask != null && !(mask[epilogue.maskOffset() + i * ldc + j] > 0f)) v = 0f;
                ca[ci] = v;
            }
        }
    }
}
