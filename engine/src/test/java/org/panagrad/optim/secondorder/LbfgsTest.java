package org.panagrad.optim.secondorder;

import org.apache.commons.math3.optim.PointValuePair;
import org.junit.jupiter.api.Test;
import org.panagrad.testing.SteadyState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LbfgsTest {

    @ParameterizedTest
    @EnumSource(Lbfgs.LineSearch.class)
    void convergesToTheOptimumOfAStrictlyConvexProblem(Lbfgs.LineSearch search) {
        int n = 150, features = 6, classes = 4;
        double l2 = 1e-2;
        Problems p = Problems.logisticRegression(11, n, features, classes, l2);
        LogisticRegressionReference ref = new LogisticRegressionReference(p.inputs, p.classes, features, classes, l2);
        PointValuePair optimum = ref.solve(1e-9);

        Lbfgs opt = Lbfgs.create(p.store, p.objective(), Lbfgs.Options.defaults().withLineSearch(search));
        int steps = 0;
        while (steps < 200) {
            opt.step(p.feeder);
            steps++;
            if (opt.lastStepSize() == 0) break; // no further decrease is representable in float
        }
        float[] theta = p.flatParameters();
        double maxErr = 0;
        for (int i = 0; i < theta.length; i++) maxErr = Math.max(maxErr, Math.abs(theta[i] - optimum.getPoint()[i]));
        assertTrue(maxErr < 1e-3, "after " + steps + " L-BFGS steps, max |theta - theta*| = " + maxErr);
        assertEquals(optimum.getValue(), ref.value(NewtonCgTest.toDouble(theta)), 1e-6);
    }

    @ParameterizedTest
    @EnumSource(Lbfgs.LineSearch.class)
    void trainsAnMlpAndAStepAllocatesNothing(Lbfgs.LineSearch search) {
        Problems p = Problems.mlp(8, 64, 64, 6, 12, 3);
        Lbfgs opt = Lbfgs.create(p.store, p.objective(), Lbfgs.Options.defaults().withLineSearch(search));
        float first = opt.step(p.feeder);
        for (int i = 0; i < 3000; i++) opt.step(p.feeder);
        float last = opt.lastLoss();
        assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);

        long allocated = SteadyState.allocatedBytes(() -> opt.step(p.feeder), 100);
        assertEquals(0, allocated, "100 L-BFGS steps allocated " + allocated + " bytes");
    }

    @Test
    void strongWolfeStepsDecreaseTheLossAndNeverSkipAPair() {
        Problems p = Problems.mlp(8, 64, 64, 6, 12, 3);
        Lbfgs opt = Lbfgs.create(p.store, p.objective(), Lbfgs.Options.defaults().withLineSearch(Lbfgs.LineSearch.STRONG_WOLFE));
        float previous = Float.POSITIVE_INFINITY;
        for (int i = 0; i < 30; i++) {
            float f = opt.step(p.feeder);
            assertTrue(f <= previous, "step " + i + ": loss rose from " + previous + " to " + f);
            assertTrue(opt.lastStepSize() > 0, "step " + i + " found no step");
            assertTrue(opt.lastLoss() < f, "step " + i + ": " + f + " -> " + opt.lastLoss());
            previous = opt.lastLoss();
        }
        // The curvature condition makes every s'y positive, so the history fills up.
        int pairs = opt.snapshot().shapeOf("s")[0];
        assertEquals(Lbfgs.Options.defaults().history(), pairs);
    }
}
