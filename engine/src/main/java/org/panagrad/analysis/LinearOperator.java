package org.panagrad.analysis;

/**
 * A symmetric linear map on float vectors of a fixed dimension: a Hessian- or Gauss-Newton-vector product
 * ({@link CurvatureProduct} is one), or an explicit matrix in tests. The spectral methods here only ever see it
 * through {@link #apply}, so they run the same on a compiled float32 product and on a reference matrix.
 * Implementations should not keep {@code v} or {@code out}, and may assume they are distinct arrays.
 * Operators with a structure that makes more cheap (Kronecker factors, explicit matrices) are
 * {@link CurvatureOperator}s: they also solve, and know their trace and log-determinant.
 */
public interface LinearOperator {
    int dimension();

    /** out = A v. */
    void apply(float[] v, float[] out);

    /**
     * A + lambda I, as one more operator (made once; its products allocate nothing): what conjugate gradient
     * solves against when A may be singular or indefinite, as a damped Gauss-Newton matrix in influence functions.
     */
    default LinearOperator damped(double lambda) {
        LinearOperator a = this;
        return new LinearOperator() {
            @Override
            public int dimension() {
                return a.dimension();
            }

            @Override
            public void apply(float[] v, float[] out) {
                a.apply(v, out);
                Vectors.axpy(lambda, v, out);
            }
        };
    }
}
