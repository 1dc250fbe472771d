package org.panagrad.optim.secondorder;

import org.apache.commons.math3.optim.PointValuePair;
import org.junit.jupiter.api.Test;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.ops.Ops;
import org.panagrad.testing.SteadyState;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NewtonCgTest {

    @Test
    void reachesTheOptimumOfAStrictlyConvexProblemWithinAFewOuterIterations() {
        int n = 150, features = 6, classes = 4;
        double l2 = 1e-2;
        Problems p = Problems.logisticRegression(11, n, features, classes, l2);
        LogisticRegressionReference ref = new LogisticRegressionReference(p.inputs, p.classes, features, classes, l2);
        PointValuePair optimum = ref.solve(1e-9);
        double[] thetaStar = optimum.getPoint();
        double gradNorm = Math.sqrt(LogisticRegressionReference.dot(ref.gradient(thetaStar), ref.gradient(thetaStar)));
        assertTrue(gradNorm < 1e-9, "the reference is not converged: |grad| = " + gradNorm);

        // The loss is cross-entropy plus a penalty, not a bare known-Hessian loss: use the exact Hessian.
        NewtonCg opt = NewtonCg.create(p.store, p.objective(), NewtonCg.Options.defaults()
                .withCurvature(CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE).withInitialDamping(1e-3));
        float f0 = opt.step(p.feeder);
        int outer = 1;
        while (outer < 6) {
            opt.step(p.feeder);
            outer++;
        }
        float[] theta = p.flatParameters();
        double maxErr = 0;
        for (int i = 0; i < theta.length; i++) maxErr = Math.max(maxErr, Math.abs(theta[i] - thetaStar[i]));
        assertTrue(maxErr < 2e-4, "after " + outer + " Newton-CG steps, max |theta - theta*| = " + maxErr);
        double f = ref.value(toDouble(theta));
        assertEquals(optimum.getValue(), f, 1e-6, "loss at the Newton-CG solution (started at " + f0 + ")");
        assertEquals(1.0, opt.lastStepSize(), "near the optimum the full Newton step is accepted");
    }

    @Test
    void anExactQuadraticModelLowersTheDampingByTwoThirds() {
        // Least squares is quadratic, so with the exact Hessian the model predicts the change exactly: rho = 1
        // whatever the damping, which also checks that rho uses the undamped model.
        Problems p = Problems.leastSquares(3, 40, 5, 2);
        double lambda = 10;
        NewtonCg opt = NewtonCg.create(p.store, p.objective(), NewtonCg.Options.defaults()
                .withCurvature(CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE).withInitialDamping(lambda));
        for (int i = 0; i < 3; i++) {
            opt.step(p.feeder);
            assertEquals(1.0, opt.lastReductionRatio(), 1e-3, "reduction ratio at step " + i);
            lambda *= LevenbergMarquardt.LOWER;
            assertEquals(lambda, opt.damping(), 1e-12 * lambda, "damping after step " + i);
        }
    }

    @Test
    void aModelThatUnderestimatesCurvatureRaisesTheDampingByThreeHalves() {
        // Curvature measured on a loss scaled by 1/100: the model trusts far too long a step, rho < 1/4.
        Problems p = Problems.leastSquares(4, 40, 5, 2);
        Objective underestimated = p.objective().withCurvatureLoss(Ops.scale(p.loss, 0.01));
        double lambda = 1e-3;
        NewtonCg opt = NewtonCg.create(p.store, underestimated, NewtonCg.Options.defaults()
                .withCurvature(CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE).withInitialDamping(lambda));
        float f0 = opt.step(p.feeder);
        assertTrue(opt.lastReductionRatio() < LevenbergMarquardt.POOR, "rho = " + opt.lastReductionRatio());
        assertEquals(lambda * LevenbergMarquardt.RAISE, opt.damping(), 1e-15);
        assertTrue(opt.lastStepSize() < 1, "the line search shortens the overlong step, alpha = " + opt.lastStepSize());
        assertTrue(opt.lastLoss() < f0, "the accepted step still decreases the loss");
    }

    @Test
    void gaussNewtonOnASubBatchTrainsAnMlpAndAStepAllocatesNothing() {
        Problems p = Problems.mlp(5, 64, 16, 6, 12, 3);
        NewtonCg opt = NewtonCg.create(p.store, p.objectiveWithSubBatchCurvature(),
                NewtonCg.Options.defaults().withMaxCgIterations(20));
        float first = opt.step(p.feeder);
        for (int i = 0; i < 40; i++) opt.step(p.feeder);
        float last = opt.lastLoss();
        assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);
        for (int i = 0; i < 2000; i++) opt.step(p.feeder); // until C2 has compiled every kernel: before, vectors are objects

        long allocated = SteadyState.allocatedBytes(() -> opt.step(p.feeder), 50);
        assertEquals(0, allocated, "50 Newton-CG steps allocated " + allocated + " bytes");
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
