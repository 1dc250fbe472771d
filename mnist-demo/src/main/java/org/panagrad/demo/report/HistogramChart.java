package org.panagrad.demo.report;

import java.util.Locale;

/**
 * One histogram as SVG bars over its value range, with the count, range and L2 norm written under it: a
 * small multiple, so that the weights and gradients of every layer sit side by side.
 */
public final class HistogramChart {
    private HistogramChart() {}

    /** {@code limits[i]} is the right edge of bucket i, the first starting at {@code min}. */
    public static String render(String title, double min, double max, double[] limits, double[] counts, double norm,
                                String colour, String cssClass) {
        double width = 300, height = 150, left = 10, right = 10, top = 22, bottom = 34;
        Svg svg = new Svg(width, height);
        svg.text(width / 2, 14, title, 12, "middle", "font-weight=\"bold\"");
        double pw = width - left - right, ph = height - top - bottom;
        double peak = 0;
        for (double c : counts) peak = Math.max(peak, c);
        svg.rect(left, top, pw, ph, "#fafafa", "stroke=\"#ccc\" stroke-width=\"1\"");
        double span = max > min ? max - min : 1;
        double prev = min;
        for (int i = 0; i < counts.length; i++) {
            double x0 = left + (prev - min) / span * pw, x1 = left + (limits[i] - min) / span * pw;
            if (counts.length == 1) { x0 = left + pw * 0.45; x1 = left + pw * 0.55; }
            double h = peak > 0 ? counts[i] / peak * ph : 0;
            svg.rect(x0, top + ph - h, Math.max(0.8, x1 - x0 - 0.4), h, colour, null,
                    String.format(Locale.ROOT, "(%.4g, %.4g]: %d", prev, limits[i], (long) counts[i]));
            prev = limits[i];
        }
        svg.text(left, height - 20, String.format(Locale.ROOT, "%.3g", min), 10, "start", null);
        svg.text(width - right, height - 20, String.format(Locale.ROOT, "%.3g", max), 10, "end", null);
        long n = 0;
        for (double c : counts) n += (long) c;
        svg.text(width / 2, height - 6, String.format(Locale.ROOT, "%,d values, L2 norm %.3g", n, norm), 10, "middle", "fill=\"#444\"");
        return svg.render(cssClass, title);
    }
}
