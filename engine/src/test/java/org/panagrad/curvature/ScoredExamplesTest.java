package org.panagrad.curvature;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScoredExamplesTest {
    private static final int CLASSES = 4, BINS = 15;

    /** A bootstrap resample's weights must score exactly as the examples written out that many times. */
    @Test
    void weightsCountAsRepeatedExamples() {
        Random rnd = new Random(21);
        int count = 200;
        float[] p = new float[count * CLASSES];
        int[] labels = new int[count], weight = new int[count];
        for (int n = 0; n < count; n++) {
            double sum = 0;
            for (int c = 0; c < CLASSES; c++) sum += p[n * CLASSES + c] = (float) Math.exp(3 * rnd.nextGaussian());
            for (int c = 0; c < CLASSES; c++) p[n * CLASSES + c] /= (float) sum;
            labels[n] = rnd.nextInt(CLASSES);
            weight[n] = rnd.nextInt(4);
        }
        int repeated = 0;
        for (int w : weight) repeated += w;
        float[] rp = new float[repeated * CLASSES];
        int[] rl = new int[repeated];
        for (int n = 0, at = 0; n < count; n++) {
            for (int r = 0; r < weight[n]; r++, at++) {
                System.arraycopy(p, n * CLASSES, rp, at * CLASSES, CLASSES);
                rl[at] = labels[n];
            }
        }
        Calibration weighted = new ScoredExamples(p, labels, count, CLASSES, BINS, "test").calibration(weight);
        Calibration written = Calibration.of(rp, rl, repeated, CLASSES, BINS);
        assertEquals(written.count(), weighted.count());
        assertEquals(written.accuracy(), weighted.accuracy(), 1e-15);
        assertEquals(written.nll(), weighted.nll(), 1e-12);
        assertEquals(written.ece(), weighted.ece(), 1e-12);
        assertArrayEquals(written.binCount(), weighted.binCount());
        assertArrayEquals(written.binAccuracy(), weighted.binAccuracy(), 1e-12);
        assertArrayEquals(written.binConfidence(), weighted.binConfidence(), 1e-12);
        assertTrue(weighted.ece() > 0, weighted::toString);
    }

    @Test
    void badSizesAreRefusedNamingTheCaller() {
        float[] p = {0.5f, 0.5f};
        int[] labels = {0};
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ScoredExamples(p, labels, 2, 2, BINS, "laplace"))
                .getMessage().startsWith("laplace: 2 examples of 2 classes need 4 probabilities"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ScoredExamples(p, labels, 1, 2, 0, "laplace"))
                .getMessage().contains("bin"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ScoredExamples(p, labels, 0, 2, BINS, "laplace"))
                .getMessage().contains("example"));
    }
}
