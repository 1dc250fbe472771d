package org.panagrad.analysis;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BatchAverageTest {

    @Test
    void theWeightedAverageOfThreeMatricesIsTheAverageMatrix() {
        ExplicitOperator[] parts = {
                ExplicitOperator.withSpectrum(41, 3, 1, -1, 0.5, 2),
                ExplicitOperator.withSpectrum(42, -2, 4, 0, 1, 1),
                ExplicitOperator.withSpectrum(43, 5, 5, 5, 5, 5)};
        double[] weights = {128, 128, 32};
        List<Integer> loaded = new ArrayList<>();
        BatchAverage average = new BatchAverage(5, 3, b -> {
            loaded.add(b);
            return parts[b];
        }, b -> weights[b]);
        float[] v = {1, -2, 0.5f, 3, -1}, out = new float[5];
        average.apply(v, out);
        assertEquals(List.of(0, 1, 2), loaded);
        for (int i = 0; i < 5; i++) {
            double expected = 0;
            for (int b = 0; b < 3; b++) {
                double row = 0;
                for (int j = 0; j < 5; j++) row += parts[b].matrix[i][j] * v[j];
                expected += weights[b] * row / 288;
            }
            assertEquals(expected, out[i], 1e-5);
        }
        // Its trace is the weighted trace: the spectral methods see one operator.
        double trace = (128 * parts[0].trace() + 128 * parts[1].trace() + 32 * parts[2].trace()) / 288;
        TraceEstimate t = HutchinsonTrace.estimate(average, new HutchinsonTrace.Settings(2000, 0, HutchinsonTrace.StoppingRule.MEAN_CHANGE, 1));
        assertEquals(trace, t.mean(), 4 * t.standardError());
    }

    @Test
    void aBatchOfAnotherDimensionIsNamed() {
        ExplicitOperator small = ExplicitOperator.withSpectrum(44, 1, 2);
        BatchAverage average = new BatchAverage(3, 2, b -> small);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> average.apply(new float[3], new float[3]));
        assertEquals("batch average: batch 0 has an operator of dimension 2, expected 3", e.getMessage());
    }
}
