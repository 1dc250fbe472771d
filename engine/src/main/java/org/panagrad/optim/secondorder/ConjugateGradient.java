package org.panagrad.optim.secondorder;

import org.panagrad.analysis.Vectors;
/**
 * Truncated conjugate gradient for A x = -g with A symmetric and (meant to be) positive definite, given only
 * products A v, in the manner of Martens (2010): it starts from the caller's guess (a warm start), tracks the
 * quadratic model phi(x) = x'Ax/2 + g'x, and stops by the relative-progress criterion of Martens' section 4.4
 * (after i &gt; k iterations with k = max(10, 0.1 i), when phi &lt; 0 and (phi_i - phi_{i-k}) / phi_i &lt; k epsilon),
 * when the residual is negligible, at the iteration limit, or at a direction of non-positive curvature (which an
 * undamped Hessian can have; the iterate so far is kept). All vectors are preallocated; a solve allocates nothing.
 * Influence functions use it for inverse-Hessian-vector products on the damped Gauss-Newton matrix.
 */
public final class ConjugateGradient {
    /** A symmetric linear map given by its products ({@code linearOperator::apply} for a LinearOperator). */
    public interface Operator {
        void apply(float[] v, float[] out);
    }

    /** A residual this small against the gradient is as converged as float arithmetic gets. */
    private static final double RESIDUAL_TOLERANCE = 1e-6;

    private final int maxIterations;
    private final double epsilon;
    private final float[] r, p, ap;
    private final double[] phis;
    private double phi;
    private boolean negativeCurvature;

    public ConjugateGradient(int dimension, int maxIterations, double epsilon) {
        if (maxIterations < 1) throw new IllegalArgumentException("CG needs at least one iteration, got " + maxIterations);
        this.maxIterations = maxIterations;
        this.epsilon = epsilon;
        this.r = new float[dimension];
        this.p = new float[dimension];
        this.ap = new float[dimension];
        this.phis = new double[maxIterations + 1];
    }

    /**
     * Improves x towards the solution of A x = -g, from x as given; returns the iterations run. A warm start
     * worse than zero (phi(x) > 0) is dropped for zero.
     */
    public int solve(Operator a, float[] g, float[] x) {
        negativeCurvature = false;
        // r = b - A x with b = -g; phi(x) = x'Ax/2 - b'x = -x'(b + r)/2 = -x'(r - g)/2.
        a.apply(x, ap);
        for (int i = 0; i < r.length; i++) r[i] = -g[i] - ap[i];
        phi = phiOf(x, g);
        if (phi > 0) {
            java.util.Arrays.fill(x, 0f);
            Vectors.negate(g, r);
            phi = 0;
        }
        System.arraycopy(r, 0, p, 0, r.length);
        double rr = Vectors.dot(r, r);
        double stop = RESIDUAL_TOLERANCE * RESIDUAL_TOLERANCE * Vectors.dot(g, g);
        phis[0] = phi;
        int i = 0;
        while (i < maxIterations && rr > stop) {
            a.apply(p, ap);
            double pap = Vectors.dot(p, ap);
            if (!(pap > 0)) {
                negativeCurvature = true;
                break;
            }
            double alpha = rr / pap;
            Vectors.axpy(alpha, p, x);
            Vectors.axpy(-alpha, ap, r);
            double rrNext = Vectors.dot(r, r);
            Vectors.xpby(r, rrNext / rr, p);
            rr = rrNext;
            i++;
            phi = phiOf(x, g);
            phis[i] = phi;
            int k = Math.max(10, (int) (0.1 * i));
            if (i > k && phi < 0 && (phi - phis[i - k]) / phi < k * epsilon) break;
        }
        return i;
    }

    /** phi at the last solution: x'Ax/2 + g'x, the predicted change of the (damped) quadratic model. */
    public double phi() {
        return phi;
    }

    /** Whether the last solve stopped at a direction of non-positive curvature. */
    public boolean metNegativeCurvature() {
        return negativeCurvature;
    }

    private double phiOf(float[] x, float[] g) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * ((double) r[i] - g[i]);
        return -0.5 * s;
    }
}
