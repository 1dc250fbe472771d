package org.panagrad.optim.secondorder;

/**
 * Tikhonov damping adapted by the Levenberg-Marquardt rule, as Martens (2010) uses it for Hessian-free
 * optimization: with the reduction ratio rho = (f(theta + d) - f(theta)) / (q(d) - q(0)) of the actual to the
 * predicted decrease, a poor model (rho &lt; 1/4) raises the damping by 3/2 and a good one (rho &gt; 3/4) lowers it
 * by 2/3; in between it stays. A ratio that is not a number (no predicted decrease, an overflowing loss) counts
 * as a poor model. The damping is kept in [min, max] so that it can neither vanish nor run away.
 */
public final class LevenbergMarquardt {
    public static final double RAISE = 1.5, LOWER = 2.0 / 3.0;
    public static final double POOR = 0.25, GOOD = 0.75;

    private final double min, max;
    private double damping;

    public LevenbergMarquardt(double initial, double min, double max) {
        if (!(min >= 0 && min <= initial && initial <= max)) {
            throw new IllegalArgumentException("damping needs 0 <= min <= initial <= max, got min " + min
                    + ", initial " + initial + ", max " + max);
        }
        this.min = min;
        this.max = max;
        this.damping = initial;
    }

    /** Adapts the damping to the reduction ratio of the last step and returns the new damping. */
    public double update(double rho) {
        if (!(rho >= POOR)) damping *= RAISE;          // also NaN
        else if (rho > GOOD) damping *= LOWER;
        damping = Math.min(max, Math.max(min, damping));
        return damping;
    }

    public double damping() {
        return damping;
    }

    /** Continues from a damping saved earlier, which must lie in [min, max]. */
    public void restore(double saved) {
        if (!(saved >= min && saved <= max)) {
            throw new IllegalArgumentException("a damping of " + saved + " is outside this optimizer's range [" + min
                    + ", " + max + "]");
        }
        damping = saved;
    }
}
