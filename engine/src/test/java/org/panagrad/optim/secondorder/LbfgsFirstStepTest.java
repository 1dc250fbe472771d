package org.panagrad.optim.secondorder;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.analysis.Vectors;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first L-BFGS iteration's trial step: torch's lr min(1, 1/|g|_1) or a step of length lr (lr/|g|_2, as
 * L-BFGS-B and Breeze), measured as the distance of the first point the search evaluates from the start.
 */
class LbfgsFirstStepTest {
    /** f(x) = sum a_i x_i^2 / 2 over many parameters, recording where it is evaluated. */
    static final class Quadratic implements SmoothFunction {
        final float[] a, x;
        final List<float[]> evaluated = new ArrayList<>();

        Quadratic(int n, float start) {
            a = new float[n];
            x = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = 1 + (float) i / n;
                x[i] = start;
            }
        }

        @Override
        public int dimension() {
            return x.length;
        }

        @Override
        public void read(float[] theta) {
            System.arraycopy(x, 0, theta, 0, x.length);
        }

        @Override
        public void write(float[] theta) {
            System.arraycopy(theta, 0, x, 0, x.length);
        }

        @Override
        public void addScaled(float alpha, float[] d) {
            Vectors.axpy(alpha, d, x);
        }

        @Override
        public double valueAndGradient(float[] gradient) {
            evaluated.add(x.clone());
            double f = 0;
            for (int i = 0; i < x.length; i++) {
                gradient[i] = a[i] * x[i];
                f += 0.5 * a[i] * x[i] * x[i];
            }
            return f;
        }

        @Override
        public double value() {
            throw new UnsupportedOperationException("L-BFGS evaluates gradients");
        }

        @Override
        public LinearOperator curvature() {
            throw new UnsupportedOperationException("L-BFGS takes no curvature products");
        }

        @Override
        public boolean fixedData() {
            return true;
        }
    }

    @ParameterizedTest
    @EnumSource(Lbfgs.FirstStep.class)
    void theFirstTrialStepHasTheRuleSLength(Lbfgs.FirstStep rule) {
        // 10,000 parameters at 0.01: |g|_2 = 1.53, |g|_1 = 150; along -g (a step alpha g) the minimum is at alpha = 0.62.
        Quadratic f = new Quadratic(10_000, 0.01f);
        float[] g = new float[f.dimension()];
        f.valueAndGradient(g);
        f.evaluated.clear();
        double lr = 0.5;
        Lbfgs lbfgs = Lbfgs.minimizing(f, new Lbfgs.Options(lr, 5, StrongWolfeLineSearch.C1, 0.5, 25,
                Lbfgs.LineSearch.STRONG_WOLFE, rule));
        lbfgs.step();
        float[] start = f.evaluated.get(0), firstTrial = f.evaluated.get(1);
        double length = 0;
        for (int i = 0; i < start.length; i++) length += (double) (firstTrial[i] - start[i]) * (firstTrial[i] - start[i]);
        double expected = rule == Lbfgs.FirstStep.UNIT_LENGTH ? lr : lr * Math.min(1, 1 / Vectors.norm1(g)) * Vectors.norm(g);
        assertEquals(expected, Math.sqrt(length), 1e-4 * expected, rule + ": the first trial point's distance from the start");
        assertTrue(lbfgs.lastStepSatisfiedWolfe(), rule + ": the first iteration ends at a strong-Wolfe step");
        if (rule == Lbfgs.FirstStep.UNIT_LENGTH) {
            assertEquals(2, f.evaluated.size(), "a step of length 0.5 (alpha 0.33, half way to the line's minimum) is accepted at once");
        } else {
            assertTrue(f.evaluated.size() > 2, "torch's step 1/150 of the way along -g needs extrapolating: "
                    + (f.evaluated.size() - 1) + " trials");
        }
    }
}
