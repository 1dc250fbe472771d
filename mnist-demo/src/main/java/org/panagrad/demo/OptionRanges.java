package org.panagrad.demo;

import java.util.Locale;

/**
 * Range checks of numeric options, run before any work starts. A value outside its range fails as a user
 * error that names the option, the value and the range allowed: "--epochs 0 is out of range: expected 1 or
 * more".
 */
final class OptionRanges {
    private OptionRanges() {}

    static int atLeast(String option, int value, int min) {
        if (value < min) throw outOfRange(option, value, min + " or more");
        return value;
    }

    static long atLeast(String option, long value, long min) {
        if (value < min) throw outOfRange(option, value, min + " or more");
        return value;
    }

    static int between(String option, int value, int min, int max, String why) {
        if (value < min || value > max) throw outOfRange(option, value, min + " to " + max + (why.isEmpty() ? "" : " (" + why + ")"));
        return value;
    }

    /** Finite and strictly positive: learning rates, damping, tolerances. */
    static double positive(String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) throw outOfRange(option, value, "a finite number above 0");
        return value;
    }

    /** Finite and not negative: tolerances, where 0 means "run to the cap". */
    static double nonNegative(String option, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) throw outOfRange(option, value, "a finite number, 0 or more");
        return value;
    }

    static IllegalArgumentException outOfRange(String option, Object value, String expected) {
        String shown = value instanceof Double d ? format(d) : String.valueOf(value);
        return new IllegalArgumentException(option + " " + shown + " is out of range: expected " + expected);
    }

    private static String format(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.format(Locale.ROOT, "%.0f", d) : Double.toString(d);
    }
}
