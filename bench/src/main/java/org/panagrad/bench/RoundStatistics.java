package org.panagrad.bench;

import java.util.Arrays;

/** The per-round summaries the alternating tools print: the median (the upper middle of an even count), min and max. */
final class RoundStatistics {
    private RoundStatistics() {}

    static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static double min(double[] x) {
        return Arrays.stream(x).min().orElse(Double.NaN);
    }

    static double max(double[] x) {
        return Arrays.stream(x).max().orElse(Double.NaN);
    }
}
