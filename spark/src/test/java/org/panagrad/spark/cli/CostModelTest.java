package org.panagrad.spark.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The cost model's fit recovers the compute of times made from it, and splits the error of times that are not. */
class CostModelTest {
    @Test
    void theFitRecoversTheComputeOfTimesMadeFromTheModel() {
        int[] n = {1, 2, 4};
        double[] aggregation = {2, 10, 20}, job = {35, 31, 46}, t = new double[3];
        for (int i = 0; i < 3; i++) t[i] = 900.0 / Math.min(n[i], 2) + aggregation[i] + job[i];
        CostModel m = CostModel.fit(n, t, aggregation, job, 2);
        assertEquals(900, m.compute(), 1e-9);
        assertEquals(450 + 20 + 46, m.predict(4, 20, 46), 1e-9, "four partitions on two slots compute as two");
    }

    @Test
    void timesOffTheModelAreFittedInTheLeastSquaresSense() {
        // compute x = 1, 1/2 for the times less their costs 1000 and 400: C minimises (1000 - C)^2 + (400 - C/2)^2.
        CostModel m = CostModel.fit(new int[] {1, 2}, new double[] {1010, 420}, new double[] {5, 10}, new double[] {5, 10}, 8);
        assertEquals((1000 + 0.5 * 400) / 1.25, m.compute(), 1e-9);
    }
}
