package org.panagrad.optim.secondorder;

/**
 * A line search for the strong Wolfe conditions, by bracketing and zooming with safeguarded cubic
 * interpolation (Nocedal and Wright, Numerical Optimization, algorithms 3.5 and 3.6; torch.optim.LBFGS's
 * {@code line_search_fn="strong_wolfe"} is the same scheme). Along a descent direction it looks for a step
 * alpha with
 * <pre>
 *   phi(alpha)        &lt;= phi(0) + c1 alpha phi'(0)     (sufficient decrease, Armijo)
 *   |phi'(alpha)|     &lt;= c2 |phi'(0)|                   (strong curvature)
 * </pre>
 * where phi(alpha) = f(x0 + alpha d). The curvature condition is what quasi-Newton methods need: it makes
 * s'y = alpha (g(alpha) - g(0))'d positive, so every L-BFGS pair is usable.
 *
 * <p>The caller owns the point: {@link Line#evaluate} moves to x0 + alpha d and evaluates there. On return,
 * the last evaluation was at the returned step, so the caller's gradient buffer holds the gradient there
 * (a fallback step that was evaluated earlier is evaluated again). When no step within the budget meets both
 * conditions, the best step with sufficient decrease is returned and {@link #lastSatisfiedWolfe()} is false;
 * when none decreases, the line is put back at 0 and the step is 0. A search allocates nothing.
 */
public final class StrongWolfeLineSearch {
    /** The objective along the line x0 + alpha d. */
    public interface Line {
        /** Moves to x0 + alpha d and returns phi(alpha); {@link #slope()} then returns phi'(alpha) = g'd there. */
        double evaluate(double alpha);

        /** phi'(alpha) at the last {@link #evaluate}d step. */
        double slope();
    }

    /** torch's L-BFGS and Nocedal and Wright's quasi-Newton defaults. */
    public static final double C1 = 1e-4, C2 = 0.9;

    /** A zoom interval narrower than this, relative to its end, cannot be refined in float arithmetic. */
    private static final double MIN_RELATIVE_WIDTH = 1e-9;
    /** Extrapolation grows the step by at most this factor per trial, and at least by 1% of the last increase. */
    private static final double MAX_GROWTH = 10, MIN_GROWTH = 0.01;
    /** An interpolated trial closer than this fraction of the interval to an end may be moved inwards. */
    private static final double SAFEGUARD = 0.1;

    private final double c1, c2;
    private final int maxEvaluations;
    private double lastValue;
    private int lastEvaluations;
    private boolean lastSatisfiedWolfe;

    /**
     * @param c1             sufficient-decrease constant, in (0, c2)
     * @param c2             curvature constant, in (c1, 1): 0.9 for quasi-Newton directions, 0.1 for
     *                       nonlinear conjugate gradient
     * @param maxEvaluations function evaluations per search, at least 1
     */
    public StrongWolfeLineSearch(double c1, double c2, int maxEvaluations) {
        if (!(c1 > 0 && c1 < c2 && c2 < 1) || maxEvaluations < 1) {
            throw new IllegalArgumentException("a strong-Wolfe line search needs 0 < c1 < c2 < 1 and at least one "
                    + "evaluation, got c1 " + c1 + ", c2 " + c2 + ", evaluations " + maxEvaluations);
        }
        this.c1 = c1;
        this.c2 = c2;
        this.maxEvaluations = maxEvaluations;
    }

    /** c1 = 1e-4, c2 = 0.9 and 25 evaluations, as torch.optim.LBFGS. */
    public static StrongWolfeLineSearch defaults() {
        return new StrongWolfeLineSearch(C1, C2, 25);
    }

    /**
     * Searches from phi(0) = {@code f0}, phi'(0) = {@code slope0}, trying {@code first} first. A direction that
     * does not descend (slope0 >= 0) is not tried: the line is left at 0 and the step is 0.
     *
     * @return the accepted step, or 0 when no trial decreased phi
     */
    public double search(Line line, double f0, double slope0, double first) {
        lastEvaluations = 0;
        lastSatisfiedWolfe = false;
        lastValue = f0;
        if (!(slope0 < 0) || !(first > 0)) {
            line.evaluate(0);
            return 0;
        }
        double aPrev = 0, fPrev = f0, gPrev = slope0;
        double a = first;
        while (true) {
            double f = evaluate(line, a);
            double g = line.slope();
            if (!Double.isFinite(f)) {
                // Overflow: the step went too far; zoom back towards the last finite point.
                return zoom(line, f0, slope0, aPrev, fPrev, gPrev, a, Double.POSITIVE_INFINITY, Double.NaN);
            }
            if (f > f0 + c1 * a * slope0 || (lastEvaluations > 1 && f >= fPrev)) {
                return zoom(line, f0, slope0, aPrev, fPrev, gPrev, a, f, g);
            }
            if (Math.abs(g) <= -c2 * slope0) return accept(a, f, true);
            if (g >= 0) return zoom(line, f0, slope0, a, f, g, aPrev, fPrev, gPrev);
            if (lastEvaluations >= maxEvaluations) return accept(a, f, false); // decreasing, but out of budget
            double next = cubicMinimizer(aPrev, fPrev, gPrev, a, f, g,
                    a + MIN_GROWTH * (a - aPrev), a * MAX_GROWTH);
            aPrev = a;
            fPrev = f;
            gPrev = g;
            a = next;
        }
    }

    /**
     * Algorithm 3.6: [lo, hi] (in either order) brackets a step satisfying both conditions; lo is the best
     * step so far with sufficient decrease, and phi'(lo) (hi - lo) < 0.
     */
    private double zoom(Line line, double f0, double slope0, double lo, double fLo, double gLo,
                        double hi, double fHi, double gHi) {
        boolean stalled = false;
        while (lastEvaluations < maxEvaluations) {
            double width = Math.abs(hi - lo);
            if (width <= MIN_RELATIVE_WIDTH * Math.max(Math.abs(lo), Math.abs(hi))) break;
            double left = Math.min(lo, hi), right = Math.max(lo, hi);
            double a = Double.isFinite(fHi) && !Double.isNaN(gHi)
                    ? cubicMinimizer(lo, fLo, gLo, hi, fHi, gHi, left, right)
                    : (lo + hi) / 2;
            // Near a minimizer the cubic is accurate and lands next to lo: allow that once, but a second trial
            // that close (or one on an end) is moved a tenth of the interval inwards, so the interval shrinks.
            double margin = SAFEGUARD * width;
            if (Math.min(right - a, a - left) < margin) {
                if (stalled || a <= left || a >= right) {
                    a = right - a < a - left ? right - margin : left + margin;
                    stalled = false;
                } else {
                    stalled = true;
                }
            } else {
                stalled = false;
            }
            double f = evaluate(line, a);
            double g = line.slope();
            if (!Double.isFinite(f) || f > f0 + c1 * a * slope0 || f >= fLo) {
                hi = a;
                fHi = f;
                gHi = g;
            } else {
                if (Math.abs(g) <= -c2 * slope0) return accept(a, f, true);
                if (g * (hi - lo) >= 0) {
                    hi = lo;
                    fHi = fLo;
                    gHi = gLo;
                }
                lo = a;
                fLo = f;
                gLo = g;
            }
        }
        // Out of budget or interval: fall back to lo, the best step with sufficient decrease (0 if none).
        if (lo == 0) {
            line.evaluate(0);
            return accept(0, f0, false);
        }
        evaluate(line, lo);
        return accept(lo, fLo, false);
    }

    /**
     * The minimizer of the cubic through (a1, f1, g1) and (a2, f2, g2) (Nocedal and Wright, eq. 3.59), clamped to
     * [min, max]; the middle of [min, max] when the cubic has no real minimizer.
     */
    static double cubicMinimizer(double a1, double f1, double g1, double a2, double f2, double g2,
                                 double min, double max) {
        double d1 = g1 + g2 - 3 * (f1 - f2) / (a1 - a2);
        double discriminant = d1 * d1 - g1 * g2;
        if (!(discriminant >= 0)) return (min + max) / 2;
        double d2 = Math.copySign(Math.sqrt(discriminant), a2 - a1);
        double a = a2 - (a2 - a1) * (g2 + d2 - d1) / (g2 - g1 + 2 * d2);
        if (Double.isNaN(a)) return (min + max) / 2;
        return Math.min(max, Math.max(min, a)); // an infinite a (a linear phi) goes to the bound on its side
    }

    private double evaluate(Line line, double alpha) {
        lastEvaluations++;
        return line.evaluate(alpha);
    }

    private double accept(double alpha, double f, boolean wolfe) {
        lastValue = f;
        lastSatisfiedWolfe = wolfe;
        return alpha;
    }

    /** phi at the step the last search returned. */
    public double lastValue() {
        return lastValue;
    }

    /** Function evaluations the last search made (a fallback's re-evaluation included). */
    public int lastEvaluations() {
        return lastEvaluations;
    }

    /** Whether the last search's step satisfies both strong Wolfe conditions. */
    public boolean lastSatisfiedWolfe() {
        return lastSatisfiedWolfe;
    }

    public double c1() {
        return c1;
    }

    public double c2() {
        return c2;
    }
}
