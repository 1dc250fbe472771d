package org.panagrad.demo.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Axis ticks people read easily: multiples of 1, 2 or 5 times a power of ten, or whole decades on a log axis. */
public final class Ticks {
    private Ticks() {}

    /** About {@code count} ticks covering [lo, hi], at a round step. */
    public static double[] linear(double lo, double hi, int count) {
        if (!(hi > lo)) return new double[] {lo};
        double step = niceStep((hi - lo) / Math.max(1, count));
        double first = Math.ceil(lo / step - 1e-9) * step;
        List<Double> ticks = new ArrayList<>();
        for (double t = first; t <= hi + step * 1e-9; t += step) ticks.add(Math.abs(t) < step * 1e-9 ? 0 : t);
        return ticks.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    public static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / p;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    }

    /** Powers of ten in [lo, hi] (both positive), thinned to at most about eight. */
    public static double[] decades(double lo, double hi) {
        int a = (int) Math.ceil(Math.log10(lo) - 1e-9), b = (int) Math.floor(Math.log10(hi) + 1e-9);
        int stride = Math.max(1, (b - a + 1 + 7) / 8);
        List<Double> ticks = new ArrayList<>();
        for (int e = a; e <= b; e++) if ((e - a) % stride == 0) ticks.add(Math.pow(10, e));
        return ticks.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** A tick label: as few digits as the step needs, 1e-6 style for powers of ten far from 1. */
    public static String label(double v, double step) {
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (a >= 1e5 || a < 1e-3) {
            int e = (int) Math.round(Math.log10(a));
            if (Math.abs(a / Math.pow(10, e) - 1) < 1e-9) return (v < 0 ? "-" : "") + "1e" + e;
            return String.format(Locale.ROOT, "%.1e", v);
        }
        int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
        return String.format(Locale.ROOT, "%." + Math.max(0, decimals) + "f", v);
    }
}
