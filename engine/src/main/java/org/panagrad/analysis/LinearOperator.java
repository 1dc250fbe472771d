package org.panagrad.analysis;

/**
 * A symmetric linear map on float vectors of a fixed dimension: a Hessian- or Gauss-Newton-vector product
 * ({@link CurvatureProduct} is one), or an explicit matrix in tests. The spectral methods here only ever see it
 * through {@link #apply}, so they run the same on a compiled float32 product and on a reference matrix.
 * Implementations should not keep {@code v} or {@code out}, and may assume they are distinct arrays.
 */
public interface LinearOperator {
    int dimension();

    /** out = A v. */
    void apply(float[] v, float[] out);
}
