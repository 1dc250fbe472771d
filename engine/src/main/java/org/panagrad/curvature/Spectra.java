package org.panagrad.curvature;

import java.util.Locale;

/** Checks shared by the structured operators before they invert or take a log-determinant. */
final class Spectra {
    /** Damped eigenvalues at most this fraction of the largest are numerically zero in float32 products. */
    static final double SINGULAR = 1e-9;

    private Spectra() {}

    /**
     * Returns {@code smallest} (the least eigenvalue of C + damping I) when it is safely positive; otherwise fails
     * with a message that names {@code what} and suggests a damping, rather than letting NaNs or huge values out.
     */
    static double requirePositiveDefinite(String what, double smallest, double largest, double damping) {
        if (safelyPositive(smallest, largest)) return smallest;
        // The damping that lifts the smallest eigenvalue to 1e-3 of the largest, rounded up to two figures.
        double needed = damping - Math.min(smallest, 0) + 1e-3 * Math.max(largest, Double.MIN_NORMAL);
        double unit = Math.pow(10, Math.floor(Math.log10(needed)) - 1);
        double suggestion = Math.ceil(needed / unit) * unit;
        throw new ArithmeticException(String.format(Locale.ROOT, "%s + %s I is %s (smallest eigenvalue %.3g, largest %.3g):"
                        + " add damping, e.g. a damping of %.2g", what, damping, smallest < 0 ? "indefinite" : "singular",
                smallest, largest + damping, suggestion));
    }

    /** Whether {@code smallest} is safely positive against {@code largest}: a caller can skip naming what it checks. */
    static boolean safelyPositive(double smallest, double largest) {
        return smallest > SINGULAR * Math.max(largest, Double.MIN_NORMAL) && Double.isFinite(smallest);
    }
}
