package org.panagrad.optim.secondorder;

/**
 * Backtracking (Armijo) line search along a descent direction d from theta0: tries alpha = first, first *
 * shrink, ... and accepts the first with f(theta0 + alpha d) <= f0 + c alpha g'd. On success the parameters
 * are left at the accepted point; after maxTrials failures they are put back at theta0 and alpha is 0.
 */
final class BacktrackingLineSearch {
    /** The loss at the function's current point. */
    interface Loss {
        double evaluate();
    }

    private final double c, shrink;
    private final int maxTrials;
    private double lastLoss;
    private int lastTrials;

    BacktrackingLineSearch(double c, double shrink, int maxTrials) {
        if (!(c > 0 && c < 1) || !(shrink > 0 && shrink < 1) || maxTrials < 1) {
            throw new IllegalArgumentException("a backtracking line search needs 0 < c < 1, 0 < shrink < 1 and at "
                    + "least one trial, got c " + c + ", shrink " + shrink + ", trials " + maxTrials);
        }
        this.c = c;
        this.shrink = shrink;
        this.maxTrials = maxTrials;
    }

    /**
     * Searches; {@code knownFirst} is f(theta0 + first d) when the caller has it already (NaN otherwise), and
     * the parameters must then be at that point. A direction that does not descend (g'd >= 0) is not tried. Returns the accepted step size, or 0.
     */
    double search(SmoothFunction flat, float[] theta0, float[] d, double f0, double slope, double first,
                  double knownFirst, Loss loss) {
        if (!(slope < 0)) { // not a descent direction: no step
            flat.write(theta0);
            lastLoss = f0;
            lastTrials = 0;
            return 0;
        }
        double alpha = first;
        for (int t = 0; t < maxTrials; t++) {
            double f;
            if (t == 0 && !Double.isNaN(knownFirst)) {
                f = knownFirst;
            } else {
                moveTo(flat, theta0, alpha, d);
                f = loss.evaluate();
            }
            lastTrials = t + 1;
            if (f <= f0 + c * alpha * slope) {
                lastLoss = f;
                return alpha;
            }
            alpha *= shrink;
        }
        flat.write(theta0);
        lastLoss = f0;
        return 0;
    }

    /** The loss at the point the last search left the parameters. */
    double lastLoss() {
        return lastLoss;
    }

    int lastTrials() {
        return lastTrials;
    }

    static void moveTo(SmoothFunction flat, float[] theta0, double alpha, float[] d) {
        flat.write(theta0);
        flat.addScaled((float) alpha, d);
    }
}
