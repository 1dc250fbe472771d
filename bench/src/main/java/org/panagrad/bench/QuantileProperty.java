package org.panagrad.bench;

import java.util.Arrays;

/**
 * The alternating tools' {@code -Dquantile=Q}: a side's time in a round is the Q-quantile of its single calls
 * (index Q (calls - 1) of their sorted times) rather than their mean. Unset means the mean (0); anything outside
 * (0, 1] is refused, since a negative or zero Q would silently give the mean and one above 1 an index past the calls.
 */
final class QuantileProperty {
    private QuantileProperty() {}

    /** Q, or 0 where -Dquantile is not set. */
    static double read() {
        String value = System.getProperty("quantile");
        if (value == null) return 0;
        double q;
        try {
            q = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-Dquantile=" + value + ": not a number; give Q in (0, 1], e.g. 0.2", e);
        }
        if (!(q > 0 && q <= 1)) throw new IllegalArgumentException("-Dquantile=" + value + ": Q must be in (0, 1], e.g. 0.2");
        return q;
    }

    /** The Q-quantile of times[0..count): index Q (count - 1) of them sorted (in place). */
    static long of(long[] times, int count, double q) {
        Arrays.sort(times, 0, count);
        return times[(int) (q * (count - 1))];
    }
}
