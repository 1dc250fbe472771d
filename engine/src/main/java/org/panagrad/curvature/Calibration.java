package org.panagrad.curvature;

/**
 * How well predicted probabilities are calibrated on labelled examples: accuracy, mean negative log-likelihood,
 * and the expected calibration error over equal-width confidence bins (Guo et al. 2017; 15 bins is the usual
 * choice): ECE = sum_b |b| / n * |accuracy(b) - confidence(b)|, confidence being the top probability. The bins
 * are kept for a reliability diagram.
 *
 * @param binConfidence mean confidence per bin (NaN for an empty bin)
 * @param binAccuracy   accuracy per bin (NaN for an empty bin)
 * @param binCount      examples per bin
 */
public record Calibration(int count, double accuracy, double nll, double ece, double[] binConfidence,
                          double[] binAccuracy, int[] binCount) {

    /** @param probabilities [count, classes] row-major, rows summing to 1 */
    public static Calibration of(float[] probabilities, int[] labels, int count, int classes, int bins) {
        return new ScoredExamples(probabilities, labels, count, classes, bins, "calibration").calibration(null);
    }
}
