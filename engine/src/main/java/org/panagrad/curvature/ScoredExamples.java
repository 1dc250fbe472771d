package org.panagrad.curvature;

/**
 * Labelled examples' predicted probabilities scored once, example by example (the top probability, its confidence
 * bin, whether it is the label, the label's negative log-likelihood), so that a calibration over any weights of the
 * examples (each once, or a bootstrap resample's counts) is a pass over these arrays only.
 */
final class ScoredExamples {
    private final int bins;
    private final int[] bin;
    private final double[] top, nll;
    private final boolean[] hit;

    /**
     * @param probabilities [count, classes] row-major, rows summing to 1
     * @param what          the caller, named in errors
     */
    ScoredExamples(float[] probabilities, int[] labels, int count, int classes, int bins, String what) {
        if (bins < 1) throw new IllegalArgumentException(what + ": at least one bin, got " + bins);
        if (count < 1) throw new IllegalArgumentException(what + ": at least one example, got " + count);
        if (probabilities.length < (long) count * classes || labels.length < count) {
            throw new IllegalArgumentException(what + ": " + count + " examples of " + classes + " classes need "
                    + (long) count * classes + " probabilities and " + count + " labels, got " + probabilities.length
                    + " and " + labels.length);
        }
        this.bins = bins;
        bin = new int[count];
        top = new double[count];
        nll = new double[count];
        hit = new boolean[count];
        for (int n = 0; n < count; n++) {
            int best = 0, row = n * classes;
            for (int c = 1; c < classes; c++) if (probabilities[row + c] > probabilities[row + best]) best = c;
            top[n] = probabilities[row + best];
            // Equal-width bins; a probability of 1 falls in the last.
            bin[n] = Math.min(bins - 1, (int) (top[n] * bins));
            hit[n] = best == labels[n];
            nll[n] = -Math.log(Math.max(probabilities[row + labels[n]], 1e-12));
        }
    }

    /** The calibration of the examples each counted {@code weight[n]} times; a null weight counts each once. */
    Calibration calibration(int[] weight) {
        double[] confidence = new double[bins], correct = new double[bins];
        long[] inBin = new long[bins];
        double nllSum = 0;
        long total = 0, right = 0;
        for (int n = 0; n < bin.length; n++) {
            int w = weight == null ? 1 : weight[n];
            if (w == 0) continue;
            confidence[bin[n]] += w * top[n];
            if (hit[n]) {
                correct[bin[n]] += w;
                right += w;
            }
            inBin[bin[n]] += w;
            nllSum += w * nll[n];
            total += w;
        }
        double ece = 0;
        double[] binConfidence = new double[bins], binAccuracy = new double[bins];
        int[] binCount = new int[bins];
        for (int b = 0; b < bins; b++) {
            binCount[b] = (int) inBin[b];
            binConfidence[b] = inBin[b] == 0 ? Double.NaN : confidence[b] / inBin[b];
            binAccuracy[b] = inBin[b] == 0 ? Double.NaN : correct[b] / inBin[b];
            if (inBin[b] > 0) ece += (double) inBin[b] / total * Math.abs(binAccuracy[b] - binConfidence[b]);
        }
        return new Calibration((int) total, (double) right / total, nllSum / total, ece, binConfidence, binAccuracy, binCount);
    }
}
