package org.panagrad.analysis;

/**
 * A symmetric positive semi-definite curvature whose structure gives more than products: the damped inverse,
 * the trace and the log-determinant, exactly (Kronecker-factored approximations, explicit matrices). Being a
 * {@link LinearOperator}, it runs through power iteration, Lanczos, Hutchinson and conjugate gradient like the
 * compiled Hessian and Gauss-Newton products do, so the structured and the exact curvature can be compared
 * with the same tools.
 */
public interface CurvatureOperator extends LinearOperator {
    /**
     * out = (C + damping I)^-1 v. A singular or indefinite C + damping I fails with an
     * {@link ArithmeticException} that names the operator and suggests a damping, never with NaNs.
     */
    void solve(double damping, float[] v, float[] out);

    /** tr(C). */
    double trace();

    /** log det(C + damping I); fails as {@link #solve} does when that matrix is not positive definite. */
    double logDeterminant(double damping);

    /**
     * out = S z with S S^T = (C + damping I)^-1: for z drawn from N(0, I), out is a draw from N(0, (C + damping I)^-1),
     * the spread of a Laplace posterior whose precision is C + damping I. Fails as {@link #solve} does.
     */
    void sampleInverse(double damping, float[] z, float[] out);

    /** The eigenvalues of C, all of them (the structured operators know them), in no particular order. */
    double[] eigenvalues();
}
