package org.panagrad.spark;

import org.panagrad.optim.secondorder.StrongWolfeLineSearch;

/**
 * L-BFGS on the driver over a {@link DatasetLoss} (the whole data set, or a fixed selection): the two-loop
 * recursion over the last {@code history} pairs, the initial inverse Hessian scaled by s'y / y'y, and the
 * engine's {@link StrongWolfeLineSearch}, whose curvature condition keeps every pair's s'y positive. Each
 * line-search trial is one distributed loss-and-gradient job, and the gradient at the accepted point is kept for
 * the next iteration, so an iteration costs the trials it makes (usually one). The first step is scaled by
 * min(1, 1/|g|_1), as torch.optim.LBFGS does. What Spark MLlib's LBFGS does with Breeze, with the engine's
 * programs doing the per-partition work.
 */
public final class DriverLbfgs {
    private final DatasetLoss loss;
    private final Selection selection;
    private final StrongWolfeLineSearch search;
    private final float[] theta, g, gNew, d, theta0;
    private final float[][] s, y;
    private final double[] rho, alpha;
    private int count, newest = -1;
    private double f = Double.NaN, lastStep;
    private long iterations, evaluations;

    /** Starts at theta (copied) with {@code history} pairs and at most {@code maxEvaluations} trials per line search. */
    public DriverLbfgs(DatasetLoss loss, Selection selection, float[] theta, int history, int maxEvaluations) {
        if (history < 1) throw new IllegalArgumentException("L-BFGS needs a history of at least 1, got " + history);
        int n = loss.dimension();
        if (theta.length != n) throw new IllegalArgumentException("expected " + n + " parameters, got " + theta.length);
        this.loss = loss;
        this.selection = selection;
        this.search = new StrongWolfeLineSearch(StrongWolfeLineSearch.C1, StrongWolfeLineSearch.C2, maxEvaluations);
        this.theta = theta.clone();
        this.g = new float[n];
        this.gNew = new float[n];
        this.d = new float[n];
        this.theta0 = new float[n];
        this.s = new float[history][n];
        this.y = new float[history][n];
        this.rho = new double[history];
        this.alpha = new double[history];
    }

    /** One iteration; returns the loss at the parameters before it. */
    public double step() {
        if (Double.isNaN(f)) {
            f = loss.lossAndGradient(theta, selection, g);
            evaluations++;
        }
        double f0 = f;
        System.arraycopy(theta, 0, theta0, 0, theta.length);
        double first = direction();
        double slope = Vec.dot(g, d);
        if (!(slope < 0)) { // the history no longer describes the curvature here: restart from steepest descent
            count = 0;
            first = direction();
            slope = Vec.dot(g, d);
        }
        StrongWolfeLineSearch.Line line = new StrongWolfeLineSearch.Line() {
            double slopeHere;

            @Override
            public double evaluate(double a) {
                for (int i = 0; i < theta.length; i++) theta[i] = (float) (theta0[i] + a * d[i]);
                double value = loss.lossAndGradient(theta, selection, gNew);
                evaluations++;
                slopeHere = Vec.dot(gNew, d);
                return value;
            }

            @Override
            public double slope() {
                return slopeHere;
            }
        };
        lastStep = search.search(line, f0, slope, first);
        if (lastStep > 0) {
            remember(lastStep);
            f = search.lastValue();
            System.arraycopy(gNew, 0, g, 0, g.length);
        } else {
            f = f0; // the line search put the parameters back at theta0 and evaluated there
            System.arraycopy(gNew, 0, g, 0, g.length);
        }
        iterations++;
        return f0;
    }

    /** d = -H g by the two-loop recursion; returns the first trial step. */
    private double direction() {
        for (int i = 0; i < d.length; i++) d[i] = -g[i];
        if (count == 0) return Math.min(1, 1 / Vec.norm1(g));
        int m = s.length;
        for (int k = 0, i = newest; k < count; k++, i = (i - 1 + m) % m) {
            alpha[i] = rho[i] * Vec.dot(s[i], d);
            Vec.axpy(-alpha[i], y[i], d);
        }
        Vec.scale(1 / (rho[newest] * Vec.dot(y[newest], y[newest])), d);
        for (int k = 0, i = (newest - count + 1 + m) % m; k < count; k++, i = (i + 1) % m) {
            Vec.axpy(alpha[i] - rho[i] * Vec.dot(y[i], d), s[i], d);
        }
        return 1;
    }

    private void remember(double step) {
        double sy = 0;
        for (int i = 0; i < d.length; i++) sy += step * d[i] * ((double) gNew[i] - g[i]);
        if (sy <= 1e-10) return;
        int next = (newest + 1) % s.length;
        for (int i = 0; i < d.length; i++) {
            s[next][i] = (float) (step * d[i]);
            y[next][i] = gNew[i] - g[i];
        }
        rho[next] = 1 / sy;
        newest = next;
        count = Math.min(count + 1, s.length);
    }

    /** The current parameters (a view: do not modify). */
    public float[] parameters() {
        return theta;
    }

    /** The loss at the current parameters. */
    public double loss() {
        return f;
    }

    public double lastStepSize() {
        return lastStep;
    }

    public boolean lastStepSatisfiedWolfe() {
        return search.lastSatisfiedWolfe();
    }

    public long iterations() {
        return iterations;
    }

    /** Loss-and-gradient evaluations (distributed jobs) so far. */
    public long evaluations() {
        return evaluations;
    }
}
