package org.panagrad.spark;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.optim.secondorder.LevenbergMarquardt;

/**
 * Newton-CG (Martens' Hessian-free) on the driver over a {@link DatasetLoss}. Each step:
 * <ol>
 * <li>the loss f and gradient g over the batch selection (one distributed job);</li>
 * <li>truncated CG on (C + lambda I) d = -g, where C v is a distributed Gauss-Newton-vector product over the
 *     curvature selection (a sampled subset of the batch, one job per product), warm-started from 0.95 times
 *     the previous solution;</li>
 * <li>the reduction ratio rho = (f(theta + d) - f) / (g'd + d'Cd/2), which adapts lambda by the engine's
 *     Levenberg-Marquardt rule;</li>
 * <li>backtracking (Armijo, c = 1e-2, factor 0.8) along d from step 1.</li>
 * </ol>
 * The engine's single-process {@code NewtonCg} follows the same recipe on compiled minibatch programs.
 */
public final class DriverNewtonCg {
    /**
     * @param curvature          the curvature selection (a sample of the batch)
     * @param maxCgIterations    CG iterations per step at most
     * @param cgTolerance        CG stops when |r| <= cgTolerance |g|
     * @param initialDamping     lambda at the first step
     */
    public record Options(CurvatureProduct.Kind kind, int maxCgIterations, double cgTolerance, double initialDamping,
                          double warmStartDecay, double armijo, double backtrack, int maxBacktracks) {
        public static Options defaults() {
            return new Options(CurvatureProduct.Kind.GAUSS_NEWTON, 10, 1e-3, 1.0, 0.95, 1e-2, 0.8, 20);
        }
    }

    private final DatasetLoss loss;
    private final Selection batch, curvatureBatch;
    private final Options options;
    private final LevenbergMarquardt damping;
    private final float[] theta, trial, g, d, previous, r, p, ap;
    private double lastLoss = Double.NaN, lastRho, lastStep;
    private int lastCgIterations;
    private long steps;

    public DriverNewtonCg(DatasetLoss loss, Selection batch, Selection curvatureBatch, float[] theta, Options options) {
        int n = loss.dimension();
        if (theta.length != n) throw new IllegalArgumentException("expected " + n + " parameters, got " + theta.length);
        this.loss = loss;
        this.batch = batch;
        this.curvatureBatch = curvatureBatch;
        this.options = options;
        this.damping = new LevenbergMarquardt(options.initialDamping(), 1e-8, 1e8);
        this.theta = theta.clone();
        this.trial = new float[n];
        this.g = new float[n];
        this.d = new float[n];
        this.previous = new float[n];
        this.r = new float[n];
        this.p = new float[n];
        this.ap = new float[n];
    }

    /** One step; returns the loss before it. */
    public double step() {
        double f0 = loss.lossAndGradient(theta, batch, g);
        double lambda = damping.damping();
        double curvatureTerm;
        try (DatasetLoss.Curvature c = loss.curvature(theta, curvatureBatch, options.kind())) {
            for (int i = 0; i < d.length; i++) d[i] = (float) (options.warmStartDecay() * previous[i]);
            curvatureTerm = solve(c, lambda);
        }
        System.arraycopy(d, 0, previous, 0, d.length);
        // The undamped quadratic model's change: g'd + d'Cd/2.
        double predicted = Vec.dot(g, d) + 0.5 * curvatureTerm;
        double slope = Vec.dot(g, d);
        lastStep = 0;
        double f = f0;
        double alpha = 1;
        for (int t = 0; t < options.maxBacktracks() && slope < 0; t++) {
            for (int i = 0; i < theta.length; i++) trial[i] = (float) (theta[i] + alpha * d[i]);
            double ft = loss.loss(trial, batch);
            if (t == 0) {
                lastRho = predicted < 0 ? (ft - f0) / predicted : Double.NaN;
                damping.update(lastRho);
            }
            if (ft <= f0 + options.armijo() * alpha * slope) {
                System.arraycopy(trial, 0, theta, 0, theta.length);
                lastStep = alpha;
                f = ft;
                break;
            }
            alpha *= options.backtrack();
        }
        lastLoss = f;
        steps++;
        return f0;
    }

    /**
     * CG on (C + lambda I) d = -g from the warm start in d; stops at the iteration cap, a small residual or a
     * direction of non-positive curvature. Returns d'Cd (undamped) at the solution.
     */
    private double solve(LinearOperator c, double lambda) {
        c.apply(d, ap);
        for (int i = 0; i < r.length; i++) r[i] = (float) (-g[i] - ap[i] - lambda * d[i]);
        System.arraycopy(r, 0, p, 0, r.length);
        double rr = Vec.dot(r, r), stop = options.cgTolerance() * options.cgTolerance() * Vec.dot(g, g);
        int i = 0;
        while (i < options.maxCgIterations() && rr > stop) {
            c.apply(p, ap);
            Vec.axpy(lambda, p, ap);
            double pap = Vec.dot(p, ap);
            if (!(pap > 0)) break;
            double a = rr / pap;
            Vec.axpy(a, p, d);
            Vec.axpy(-a, ap, r);
            double next = Vec.dot(r, r);
            float beta = (float) (next / rr);
            for (int k = 0; k < p.length; k++) p[k] = r[k] + beta * p[k];
            rr = next;
            i++;
        }
        lastCgIterations = i;
        // d'(C + lambda I)d = d'(-g - r): the residual gives the damped quadratic term without another product.
        double dampedTerm = 0;
        for (int k = 0; k < d.length; k++) dampedTerm += (double) d[k] * (-g[k] - r[k]);
        return dampedTerm - lambda * Vec.dot(d, d);
    }

    public float[] parameters() {
        return theta;
    }

    /** The batch loss where the last step left the parameters. */
    public double lastLoss() {
        return lastLoss;
    }

    public double damping() {
        return damping.damping();
    }

    public int lastCgIterations() {
        return lastCgIterations;
    }

    public double lastReductionRatio() {
        return lastRho;
    }

    public double lastStepSize() {
        return lastStep;
    }

    public long steps() {
        return steps;
    }
}
