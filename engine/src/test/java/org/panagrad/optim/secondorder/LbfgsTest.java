package org.panagrad.optim.secondorder;

import org.apache.commons.math3.optim.PointValuePair;
import org.junit.jupiter.api.Test;
import org.panagrad.testing.SteadyState;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LbfgsTest {

    @Test
    void convergesToTheOptimumOfAStrictlyConvexProblem() {
        int n = 150, features = 6, classes = 4;
        double l2 = 1e-2;
        Problems p = Problems.logisticRegression(11, n, features, classes, l2);
        LogisticRegressionReference ref = new LogisticRegressionReference(p.inputs, p.classes, features, classes, l2);
        PointValuePair optimum = ref.solve(1e-9);

        Lbfgs opt = Lbfgs.create(p.store, p.objective(), Lbfgs.Options.defaults());
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

    @Test
    void trainsAnMlpAndAStepAllocatesNothing() {
        Problems p = Problems.mlp(8, 64, 64, 6, 12, 3);
        Lbfgs opt = Lbfgs.create(p.store, p.objective(), Lbfgs.Options.defaults());
        float first = opt.step(p.feeder);
        for (int i = 0; i < 3000; i++) opt.step(p.feeder);
        float last = opt.lastLoss();
        assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);

        long allocated = SteadyState.allocatedBytes(() -> opt.step(p.feeder), 100);
        assertEquals(0, allocated, "100 L-BFGS steps allocated " + allocated + " bytes");
    }
}
