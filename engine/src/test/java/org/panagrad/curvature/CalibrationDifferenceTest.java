package org.panagrad.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CalibrationDifferenceTest {

    private static final int CLASSES = 3, BINS = 15;

    /** Labels drawn from probabilities p; an over-confident predictive sharpens p, a calibrated one is p itself. */
    private static final class Synthetic {
        final int count;
        final int[] labels;
        final float[] calibrated, overConfident;

        Synthetic(int count, long seed) {
            this.count = count;
            Random rnd = new Random(seed);
            labels = new int[count];
            calibrated = new float[count * CLASSES];
            overConfident = new float[count * CLASSES];
            for (int n = 0; n < count; n++) {
                double[] logit = new double[CLASSES];
                for (int c = 0; c < CLASSES; c++) logit[c] = 1.5 * rnd.nextGaussian();
                fill(logit, 1, calibrated, n);
                fill(logit, 3, overConfident, n);
                double u = rnd.nextDouble(), cumulative = 0;
                labels[n] = CLASSES - 1;
                for (int c = 0; c < CLASSES; c++) {
                    cumulative += calibrated[n * CLASSES + c];
                    if (u < cumulative) {
                        labels[n] = c;
                        break;
                    }
                }
            }
        }

        private static void fill(double[] logit, double sharpness, float[] out, int n) {
            double sum = 0;
            for (double l : logit) sum += Math.exp(sharpness * l);
            for (int c = 0; c < CLASSES; c++) out[n * CLASSES + c] = (float) (Math.exp(sharpness * logit[c]) / sum);
        }
    }

    @Test
    void theDifferenceOfAPredictiveWithItselfIsExactlyZero() {
        Synthetic s = new Synthetic(500, 1);
        CalibrationDifference d = CalibrationDifference.paired(s.calibrated, s.calibrated, s.labels, s.count, CLASSES, BINS,
                200, 0.95, 7);
        assertEquals(0, d.nll(), 0);
        assertEquals(0, d.nllLow(), 0);
        assertEquals(0, d.nllHigh(), 0);
        assertEquals(0, d.ece(), 0);
        assertEquals(0, d.eceLow(), 0);
        assertEquals(0, d.eceHigh(), 0);
        assertEquals(0, d.eceLowerShare(), 0);
    }

    @Test
    void pointEstimatesAreTheDifferencesOfTheCalibrationsOnAllExamples() {
        Synthetic s = new Synthetic(2000, 2);
        CalibrationDifference d = CalibrationDifference.paired(s.overConfident, s.calibrated, s.labels, s.count, CLASSES,
                BINS, 100, 0.9, 3);
        Calibration a = Calibration.of(s.overConfident, s.labels, s.count, CLASSES, BINS);
        Calibration b = Calibration.of(s.calibrated, s.labels, s.count, CLASSES, BINS);
        assertEquals(b.nll() - a.nll(), d.nll(), 1e-12);
        assertEquals(b.ece() - a.ece(), d.ece(), 1e-12);
        assertEquals(0.9, d.confidence());
        assertEquals(100, d.resamples());
        assertTrue(d.nllLow() <= d.nllHigh() && d.eceLow() <= d.eceHigh(), d::toString);
    }

    /** The labels follow the calibrated probabilities, so its ECE and NLL are clearly lower, in nearly every resample. */
    @Test
    void aClearlyBetterCalibratedPredictiveGetsAnIntervalBelowZero() {
        Synthetic s = new Synthetic(4000, 3);
        CalibrationDifference d = CalibrationDifference.paired(s.overConfident, s.calibrated, s.labels, s.count, CLASSES,
                BINS, 500, 0.95, 11);
        assertTrue(d.eceHigh() < 0 && d.nllHigh() < 0, d::toString);
        assertTrue(d.eceLow() <= d.ece() && d.ece() <= d.eceHigh(), d::toString);
        assertTrue(d.eceLowerShare() > 0.99, d::toString);
        // The other way round, the same interval mirrored.
        CalibrationDifference back = CalibrationDifference.paired(s.calibrated, s.overConfident, s.labels, s.count, CLASSES,
                BINS, 500, 0.95, 11);
        assertEquals(-d.ece(), back.ece(), 1e-12);
        assertEquals(-d.eceHigh(), back.eceLow(), 1e-12);
        assertEquals(-d.eceLow(), back.eceHigh(), 1e-12);
        assertTrue(back.eceLowerShare() < 0.01, back::toString);
    }

    /** Two predictives that differ only by noise on a small test set: the interval straddles zero. */
    @Test
    void aDifferenceWithinTheNoiseGetsAnIntervalAroundZero() {
        Synthetic s = new Synthetic(300, 4);
        float[] jittered = s.calibrated.clone();
        Random rnd = new Random(5);
        for (int n = 0; n < s.count; n++) {
            double sum = 0;
            for (int c = 0; c < CLASSES; c++) sum += jittered[n * CLASSES + c] *= (float) (1 + 0.02 * rnd.nextGaussian());
            for (int c = 0; c < CLASSES; c++) jittered[n * CLASSES + c] /= (float) sum;
        }
        CalibrationDifference d = CalibrationDifference.paired(s.calibrated, jittered, s.labels, s.count, CLASSES, BINS,
                1000, 0.95, 13);
        assertTrue(d.eceLow() < 0 && d.eceHigh() > 0, d::toString);
    }

    @Test
    void badArgumentsAreRefusedByName() {
        Synthetic s = new Synthetic(10, 6);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CalibrationDifference.paired(s.calibrated, s.calibrated,
                s.labels, 0, CLASSES, BINS, 10, 0.95, 1)).getMessage().contains("example"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CalibrationDifference.paired(s.calibrated, s.calibrated,
                s.labels, s.count, CLASSES, BINS, 0, 0.95, 1)).getMessage().contains("resample"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CalibrationDifference.paired(s.calibrated, s.calibrated,
                s.labels, s.count, CLASSES, BINS, 10, 1.0, 1)).getMessage().contains("confidence"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CalibrationDifference.paired(s.calibrated,
                new float[5], s.labels, s.count, CLASSES, BINS, 10, 0.95, 1)).getMessage().contains("probabilities"));
    }
}
