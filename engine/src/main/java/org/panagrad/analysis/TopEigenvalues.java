package org.panagrad.analysis;

/**
 * The eigenvalues of largest magnitude found by {@link PowerIteration}, in the order found (by decreasing
 * magnitude when every one converged), as parallel arrays: what a report writes as JSON. The eigenvectors are
 * kept apart in {@link PowerIteration.Eigenpairs}, since they are as long as the parameter vector.
 *
 * @param eigenvalues   the Rayleigh quotient v.Av of each returned unit eigenvector v
 * @param iterations    operator products spent on each eigenvalue
 * @param converged     whether the relative change of the Rayleigh quotient fell to the tolerance within the cap
 * @param residualNorms ||A v - lambda v|| for each pair: the honest error bar (an eigenvalue of A lies within
 *                      it of lambda), tighter to read than the convergence flag
 * @param products      operator products in all
 */
public record TopEigenvalues(PowerIteration.Settings settings, double[] eigenvalues, int[] iterations,
                             boolean[] converged, double[] residualNorms, long products) {
}
