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
        if (bins < 1) throw new IllegalArgumentException("calibration: at least one bin, got " + bins);
        if (probabilities.length < count * classes || labels.length < count) {
            throw new IllegalArgumentException("calibration: " + count + " examples of " + classes + " classes need "
                    + count * classes + " probabilities and " + count + " labels, got " + probabilities.length + " and " + labels.length);
        }
        double[] confidence = new double[bins], correct = new double[bins];
        int[] binCount = new int[bins];
        double nll = 0;
        int right = 0;
        for (int n = 0; n < count; n++) {
            int best = predicted(probabilities, n, classes);
            double top = probabilities[n * classes + best];
            int bin = bin(top, bins);
            boolean hit = best == labels[n];
            confidence[bin] += top;
            correct[bin] += hit ? 1 : 0;
            binCount[bin]++;
            if (hit) right++;
            nll += nll(probabilities, n, classes, labels[n]);
        }
        double ece = 0;
        double[] binConfidence = new double[bins], binAccuracy = new double[bins];
        for (int b = 0; b < bins; b++) {
            binConfidence[b] = binCount[b] == 0 ? Double.NaN : confidence[b] / binCount[b];
            binAccuracy[b] = binCount[b] == 0 ? Double.NaN : correct[b] / binCount[b];
            if (binCount[b] > 0) ece += (double) binCount[b] / count * Math.abs(binAccuracy[b] - binConfidence[b]);
        }
        return new Calibration(count, (double) right / count, nll / count, ece, binConfidence, binAccuracy, binCount);
    }

    /** Example n's predicted class: the first with the highest probability. */
    static int predicted(float[] probabilities, int n, int classes) {
        int best = 0;
        for (int c = 1; c < classes; c++) if (probabilities[n * classes + c] > probabilities[n * classes + best]) best = c;
        return best;
    }

    /** The equal-width bin of a top probability; a probability of 1 falls in the last bin. */
    static int bin(double top, int bins) {
        return Math.min(bins - 1, (int) (top * bins));
    }

    /** Example n's negative log-likelihood of its label, the probability floored at 1e-12. */
    static double nll(float[] probabilities, int n, int classes, int label) {
        return -Math.log(Math.max(probabilities[n * classes + label], 1e-12));
    }
}
