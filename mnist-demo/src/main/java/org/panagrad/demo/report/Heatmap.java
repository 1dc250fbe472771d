package org.panagrad.demo.report;

import java.util.List;
import java.util.Locale;

/**
 * A heatmap of a positive quantity per row (a layer) and column (a step), coloured by its logarithm: gradient
 * norms over training, where a layer whose gradient fades (vanishing) turns dark and one that blows up
 * (exploding) turns bright, with the colour bar's decades labelled. Missing and non-finite values are grey
 * and hatched red respectively.
 */
public final class Heatmap {
    private static final double LEFT = 120, RIGHT = 90, TOP = 34, BOTTOM = 40;

    private Heatmap() {}

    /** {@code values[row][col]}; {@code steps} label the columns. */
    public static String render(String title, List<String> rows, long[] steps, double[][] values, String cssClass) {
        double width = 760, cellH = Math.max(14, Math.min(30, 260.0 / Math.max(1, rows.size())));
        double height = TOP + BOTTOM + cellH * rows.size();
        Svg svg = new Svg(width, height);
        svg.text(width / 2, 18, title, 14, "middle", "font-weight=\"bold\"");
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] row : values) {
            for (double v : row) {
                if (Double.isFinite(v) && v > 0) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (steps.length == 0 || !(hi >= lo)) {
            svg.text(width / 2, height / 2, "no data", 12, "middle", "fill=\"#888\"");
            return svg.render(cssClass, title);
        }
        double llo = Math.floor(Math.log10(lo)), lhi = Math.ceil(Math.log10(hi));
        if (llo == lhi) lhi += 1;
        double pw = width - LEFT - RIGHT, cellW = pw / steps.length;
        for (int r = 0; r < rows.size(); r++) {
            double y = TOP + r * cellH;
            svg.text(LEFT - 6, y + cellH / 2 + 4, rows.get(r), 11, "end", null);
            for (int c = 0; c < steps.length; c++) {
                double v = values[r][c];
                String fill = Double.isNaN(v) ? "#d0d0d0" : !Double.isFinite(v) ? "#ff0000"
                        : v <= 0 ? colour(0) : colour((Math.log10(v) - llo) / (lhi - llo));
                svg.rect(LEFT + c * cellW, y, cellW + 0.3, cellH, fill, null, String.format(Locale.ROOT, "%s, step %d: %.4g",
                        rows.get(r), steps[c], v));
            }
        }
        double bottom = TOP + rows.size() * cellH;
        double[] ticks = Ticks.linear(steps[0], steps[steps.length - 1], 6);
        for (double t : ticks) {
            double x = LEFT + (t - steps[0]) / Math.max(1, steps[steps.length - 1] - steps[0]) * (pw - cellW) + cellW / 2;
            svg.line(x, bottom, x, bottom + 4, "#666", 1, null);
            svg.text(x, bottom + 16, Ticks.label(t, ticks.length > 1 ? ticks[1] - ticks[0] : 1), 11, "middle", null);
        }
        svg.text(LEFT + pw / 2, height - 6, "step", 12, "middle", null);
        // Colour bar: one band per tenth of the range, decades labelled.
        double bx = width - RIGHT + 14, bh = Math.max(60, bottom - TOP);
        for (int i = 0; i < 40; i++) {
            svg.rect(bx, TOP + bh * (1 - (i + 1) / 40.0), 14, bh / 40 + 0.3, colour((i + 0.5) / 40), null);
        }
        for (double e = llo; e <= lhi; e++) {
            double y = TOP + bh * (1 - (e - llo) / (lhi - llo));
            svg.text(bx + 18, y + 4, "1e" + (int) e, 10, "start", null);
        }
        svg.text(bx + 7, TOP - 4, "norm", 10, "middle", null);
        return svg.render(cssClass, title);
    }

    /** A dark-blue to yellow ramp (perceptually ordered, readable by the colour-blind) for t in [0, 1]. */
    static String colour(double t) {
        t = Math.max(0, Math.min(1, t));
        double[][] stops = {{0.05, 0.03, 0.33}, {0.23, 0.32, 0.55}, {0.13, 0.57, 0.55}, {0.37, 0.79, 0.38}, {0.99, 0.91, 0.14}};
        double s = t * (stops.length - 1);
        int i = Math.min(stops.length - 2, (int) s);
        double f = s - i;
        int[] rgb = new int[3];
        for (int k = 0; k < 3; k++) rgb[k] = (int) Math.round(255 * (stops[i][k] + f * (stops[i + 1][k] - stops[i][k])));
        return String.format(Locale.ROOT, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
    }
}
