package org.panagrad.optim.secondorder;

import org.junit.jupiter.api.Test;

import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StrongWolfeLineSearchTest {

    /** phi and phi' given as functions of alpha; counts evaluations and remembers where it was last evaluated. */
    private static final class Phi implements StrongWolfeLineSearch.Line {
        final DoubleUnaryOperator value, derivative;
        double at = Double.NaN, slope;
        int evaluations;

        Phi(DoubleUnaryOperator value, DoubleUnaryOperator derivative) {
            this.value = value;
            this.derivative = derivative;
        }

        @Override
        public double evaluate(double alpha) {
            evaluations++;
            at = alpha;
            slope = derivative.applyAsDouble(alpha);
            return value.applyAsDouble(alpha);
        }

        @Override
        public double slope() {
            return slope;
        }
    }

    private static void assertStrongWolfe(String what, Phi phi, StrongWolfeLineSearch search, double first) {
        double f0 = phi.value.applyAsDouble(0), g0 = phi.derivative.applyAsDouble(0);
        double alpha = search.search(phi, f0, g0, first);
        String where = what + " from alpha0 = " + first + ": alpha " + alpha + " after " + phi.evaluations + " evaluations";
        assertTrue(search.lastSatisfiedWolfe(), where + " is reported as not meeting the strong Wolfe conditions");
        assertTrue(alpha > 0, where);
        double f = phi.value.applyAsDouble(alpha), g = phi.derivative.applyAsDouble(alpha);
        assertTrue(f <= f0 + search.c1() * alpha * g0, where + ": no sufficient decrease, phi " + f + " vs phi(0) " + f0);
        assertTrue(Math.abs(g) <= search.c2() * Math.abs(g0),
                where + ": |phi'| = " + Math.abs(g) + " exceeds c2 |phi'(0)| = " + search.c2() * Math.abs(g0));
        assertEquals(alpha, phi.at, 0, where + ": the last evaluation was not at the returned step");
        assertEquals(f, search.lastValue(), 1e-15 * Math.abs(f), where);
    }

    private static final double[] STARTS = {1e-3, 1e-1, 1e1, 1e3};

    // Moré and Thuente, "Line search algorithms with guaranteed sufficient decrease" (1994), section 5: six
    // functions, each searched from four starting steps, with the paper's (c1, c2) per function.

    @Test
    void moreThuenteFunction1() {
        double b = 2;
        for (double a0 : STARTS) {
            Phi phi = new Phi(a -> -a / (a * a + b), a -> (a * a - b) / ((a * a + b) * (a * a + b)));
            assertStrongWolfe("phi(a) = -a/(a^2+2)", phi, new StrongWolfeLineSearch(1e-3, 0.1, 30), a0);
        }
    }

    @Test
    void moreThuenteFunction2() {
        double b = 0.004;
        for (double a0 : STARTS) {
            Phi phi = new Phi(a -> Math.pow(a + b, 5) - 2 * Math.pow(a + b, 4),
                    a -> 5 * Math.pow(a + b, 4) - 8 * Math.pow(a + b, 3));
            assertStrongWolfe("phi(a) = (a+0.004)^5 - 2(a+0.004)^4", phi, new StrongWolfeLineSearch(0.1, 0.1 + 1e-12, 30), a0);
        }
    }

    @Test
    void moreThuenteFunction3() {
        double b = 0.01, l = 39;
        DoubleUnaryOperator phi0 = a -> a <= 1 - b ? 1 - a : a >= 1 + b ? a - 1 : (a - 1) * (a - 1) / (2 * b) + b / 2;
        DoubleUnaryOperator dphi0 = a -> a <= 1 - b ? -1 : a >= 1 + b ? 1 : (a - 1) / b;
        for (double a0 : STARTS) {
            Phi phi = new Phi(a -> phi0.applyAsDouble(a) + 2 * (1 - b) / (l * Math.PI) * Math.sin(l * Math.PI / 2 * a),
                    a -> dphi0.applyAsDouble(a) + (1 - b) * Math.cos(l * Math.PI / 2 * a));
            assertStrongWolfe("Moré-Thuente's oscillating function 3", phi, new StrongWolfeLineSearch(0.1, 0.1 + 1e-12, 30), a0);
        }
    }

    @Test
    void moreThuenteFunctions4To6() {
        double[][] betas = {{0.001, 0.001}, {0.01, 0.001}, {0.001, 0.01}};
        for (int k = 0; k < betas.length; k++) {
            double b1 = betas[k][0], b2 = betas[k][1];
            double g1 = gamma(b1), g2 = gamma(b2);
            for (double a0 : STARTS) {
                Phi phi = new Phi(a -> g1 * Math.sqrt((1 - a) * (1 - a) + b2 * b2) + g2 * Math.sqrt(a * a + b1 * b1),
                        a -> -g1 * (1 - a) / Math.sqrt((1 - a) * (1 - a) + b2 * b2) + g2 * a / Math.sqrt(a * a + b1 * b1));
                assertStrongWolfe("Moré-Thuente function " + (4 + k), phi, new StrongWolfeLineSearch(0.001, 0.001 + 1e-12, 40), a0);
            }
        }
    }

    private static double gamma(double b) {
        return Math.sqrt(1 + b * b) - b;
    }

    @Test
    void rosenbrockAlongSteepestDescentAndNewtonDirections() {
        double[][] starts = {{-1.2, 1}, {0, 0}, {2, 2}, {-1.5, 2.5}, {0.5, -0.5}};
        for (double[] x0 : starts) {
            double[] g = rosenbrockGradient(x0[0], x0[1]);
            assertRosenbrockLine(x0, new double[] {-g[0], -g[1]}, "steepest descent");
            double[] newton = newtonDirection(x0[0], x0[1], g);
            if (newton[0] * g[0] + newton[1] * g[1] < 0) assertRosenbrockLine(x0, newton, "Newton");
        }
    }

    private static void assertRosenbrockLine(double[] x0, double[] d, String name) {
        for (double a0 : new double[] {1e-4, 1, 100}) {
            Phi phi = new Phi(a -> rosenbrock(x0[0] + a * d[0], x0[1] + a * d[1]), a -> {
                double[] g = rosenbrockGradient(x0[0] + a * d[0], x0[1] + a * d[1]);
                return g[0] * d[0] + g[1] * d[1];
            });
            assertStrongWolfe("Rosenbrock from (" + x0[0] + ", " + x0[1] + ") along " + name, phi,
                    StrongWolfeLineSearch.defaults(), a0);
        }
    }

    private static double rosenbrock(double x, double y) {
        return 100 * (y - x * x) * (y - x * x) + (1 - x) * (1 - x);
    }

    private static double[] rosenbrockGradient(double x, double y) {
        return new double[] {-400 * x * (y - x * x) - 2 * (1 - x), 200 * (y - x * x)};
    }

    private static double[] newtonDirection(double x, double y, double[] g) {
        double hxx = 1200 * x * x - 400 * y + 2, hxy = -400 * x, hyy = 200;
        double det = hxx * hyy - hxy * hxy;
        return new double[] {-(hyy * g[0] - hxy * g[1]) / det, -(-hxy * g[0] + hxx * g[1]) / det};
    }

    @Test
    void aQuadraticIsSolvedByTheInterpolationAtOnce() {
        // phi(a) = (a - 3)^2: from a = 1, the cubic through (0, 9, -6) and (1, 4, -4) has its minimum at 3.
        Phi phi = new Phi(a -> (a - 3) * (a - 3), a -> 2 * (a - 3));
        StrongWolfeLineSearch search = new StrongWolfeLineSearch(1e-4, 0.1, 10);
        assertEquals(3, search.search(phi, 9, -6, 1), 1e-12);
        assertEquals(2, phi.evaluations);
    }

    @Test
    void anOverflowingTrialIsZoomedBackFrom() {
        Phi phi = new Phi(a -> a > 5 ? Double.POSITIVE_INFINITY : (a - 1) * (a - 1), a -> a > 5 ? Double.NaN : 2 * (a - 1));
        assertStrongWolfe("a loss that overflows past 5", phi, StrongWolfeLineSearch.defaults(), 1000);
    }

    @Test
    void anAscentDirectionTakesNoStepAndLeavesTheLineAtZero() {
        Phi phi = new Phi(a -> a, a -> 1);
        StrongWolfeLineSearch search = StrongWolfeLineSearch.defaults();
        assertEquals(0, search.search(phi, 0, 1, 1));
        assertEquals(0, phi.at);
        assertTrue(!search.lastSatisfiedWolfe());
    }

    @Test
    void withoutSufficientDecreaseWithinTheBudgetTheLineIsPutBack() {
        // A descent slope at 0 that the function contradicts everywhere else (a float-noise gradient).
        Phi phi = new Phi(a -> a == 0 ? 0 : 1, a -> a == 0 ? -1 : 0);
        StrongWolfeLineSearch search = new StrongWolfeLineSearch(1e-4, 0.9, 8);
        assertEquals(0, search.search(phi, 0, -1, 1));
        assertEquals(0, phi.at);
        assertEquals(0, search.lastValue());
    }

    @Test
    void outOfBudgetItKeepsTheBestSufficientDecrease() {
        // Linear descent forever: every trial decreases, none flattens; with 3 evaluations the last one is kept.
        Phi phi = new Phi(a -> -a, a -> -1);
        StrongWolfeLineSearch search = new StrongWolfeLineSearch(1e-4, 0.9, 3);
        double alpha = search.search(phi, 0, -1, 1);
        assertEquals(100, alpha, 1e-9);
        assertEquals(alpha, phi.at);
        assertTrue(!search.lastSatisfiedWolfe());
    }

    @Test
    void badConstantsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new StrongWolfeLineSearch(0.5, 0.1, 10));
        assertThrows(IllegalArgumentException.class, () -> new StrongWolfeLineSearch(1e-4, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> new StrongWolfeLineSearch(1e-4, 0.9, 0));
    }
}
