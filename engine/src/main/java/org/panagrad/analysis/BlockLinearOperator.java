package org.panagrad.analysis;

/**
 * A symmetric linear map applied to a block of k vectors at once, out[j] = A vectors[j]: what
 * {@link BlockCurvatureProduct} computes in one program run, so that the block eigen-solvers and trace
 * estimators pay for one wide product instead of k narrow ones. Implementations should not keep the arrays.
 */
public interface BlockLinearOperator {
    int dimension();

    /** k, the number of vectors every {@link #apply} takes. */
    int blockSize();

    /** out[j] = A vectors[j] for each of the {@link #blockSize()} vectors; both arrays hold that many. */
    void apply(float[][] vectors, float[][] out);

    /** Any operator as blocks of k of its products, one after another (explicit matrices, structured operators). */
    static BlockLinearOperator columnByColumn(LinearOperator op, int k) {
        if (k < 1) throw new IllegalArgumentException("a block holds at least one vector, got " + k);
        return new BlockLinearOperator() {
            @Override
            public int dimension() {
                return op.dimension();
            }

            @Override
            public int blockSize() {
                return k;
            }

            @Override
            public void apply(float[][] vectors, float[][] out) {
                BlockCurvatureProduct.checkBlock(vectors, out, k, op.dimension());
                for (int j = 0; j < k; j++) op.apply(vectors[j], out[j]);
            }
        };
    }
}
