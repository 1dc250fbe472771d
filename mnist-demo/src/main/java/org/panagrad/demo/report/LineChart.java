package org.panagrad.demo.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A line chart as SVG: series of (x, y) points, a linear or logarithmic y axis with round ticks and light major
 * gridlines only, vertical markers with labels (eigenvalues, epochs), and a legend. A NaN y (or, on a log
 * axis, a y that is not positive) breaks the line instead of drawing a floor.
 */
public final class LineChart {
    public record Series(String name, String colour, double[] x, double[] y, boolean points) {}

    public record Marker(double x, String label, String colour) {}

    private static final double LEFT = 64, RIGHT = 18, TOP = 34, BOTTOM = 44;

    private final String title, xLabel, yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Marker> markers = new ArrayList<>();
    private boolean logY;
    private double width = 560, height = 320;
    private String note;

    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public LineChart logY(boolean log) {
        this.logY = log;
        return this;
    }

    public LineChart size(double w, double h) {
        width = w;
        height = h;
        return this;
    }

    public LineChart add(Series s) {
        series.add(s);
        return this;
    }

    public LineChart mark(Marker m) {
        markers.add(m);
        return this;
    }

    /** A line of text under the title (a trace, a sample count). */
    public LineChart note(String text) {
        note = text;
        return this;
    }

    public boolean isEmpty() {
        return series.stream().allMatch(s -> s.x().length == 0);
    }

    public String render(String cssClass) {
        double xmin = Double.POSITIVE_INFINITY, xmax = Double.NEGATIVE_INFINITY;
        double ymin = Double.POSITIVE_INFINITY, ymax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                double y = s.y()[i];
                if (!usable(y)) continue;
                xmin = Math.min(xmin, s.x()[i]);
                xmax = Math.max(xmax, s.x()[i]);
                ymin = Math.min(ymin, y);
                ymax = Math.max(ymax, y);
            }
        }
        for (Marker m : markers) {
            xmin = Math.min(xmin, m.x());
            xmax = Math.max(xmax, m.x());
        }
        Svg svg = new Svg(width, height);
        svg.text(width / 2, 18, title, 14, "middle", "font-weight=\"bold\"");
        if (note != null) svg.text(width / 2, 31, note, 10.5, "middle", "fill=\"#555\"");
        double pw = width - LEFT - RIGHT, ph = height - TOP - BOTTOM - (note != null ? 6 : 0), top = TOP + (note != null ? 6 : 0);
        if (!(xmax >= xmin) || !(ymax >= ymin)) {
            svg.text(width / 2, height / 2, "no data", 12, "middle", "fill=\"#888\"");
            return svg.render(cssClass, title);
        }
        if (xmax == xmin) { xmin -= 0.5; xmax += 0.5; }
        double[] yTicks;
        double ylo, yhi;
        if (logY) {
            ylo = Math.pow(10, Math.floor(Math.log10(ymin)));
            yhi = Math.pow(10, Math.ceil(Math.log10(ymax)));
            if (ylo == yhi) yhi *= 10;
            yTicks = Ticks.decades(ylo, yhi);
        } else {
            double pad = ymax == ymin ? Math.max(Math.abs(ymax) * 0.1, 1e-3) : (ymax - ymin) * 0.05;
            yTicks = Ticks.linear(ymin - pad, ymax + pad, 5);
            ylo = Math.min(ymin - pad, yTicks[0]);
            yhi = Math.max(ymax + pad, yTicks[yTicks.length - 1]);
        }
        double[] xTicks = Ticks.linear(xmin, xmax, 6);
        double x0 = xmin, x1 = xmax, y0 = ylo, y1 = yhi;
        java.util.function.DoubleUnaryOperator px = x -> LEFT + (x - x0) / (x1 - x0) * pw;
        java.util.function.DoubleUnaryOperator py = logY
                ? y -> top + ph - (Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) * ph
                : y -> top + ph - (y - y0) / (y1 - y0) * ph;

        svg.rect(LEFT, top, pw, ph, "#fff", "stroke=\"#999\" stroke-width=\"1\"");
        double yStep = yTicks.length > 1 ? yTicks[1] - yTicks[0] : 1;
        for (double t : yTicks) {
            double y = py.applyAsDouble(t);
            svg.line(LEFT, y, LEFT + pw, y, "#e4e4e4", 1, null);
            svg.text(LEFT - 6, y + 4, logY ? Ticks.label(t, t) : Ticks.label(t, yStep), 11, "end", null);
        }
        double xStep = xTicks.length > 1 ? xTicks[1] - xTicks[0] : 1;
        for (double t : xTicks) {
            double x = px.applyAsDouble(t);
            svg.line(x, top + ph, x, top + ph + 4, "#666", 1, null);
            svg.text(x, top + ph + 16, Ticks.label(t, xStep), 11, "middle", null);
        }
        svg.text(LEFT + pw / 2, height - 8, xLabel, 12, "middle", null);
        svg.text(14, top + ph / 2, yLabel, 12, "middle", "transform=\"rotate(-90 14 " + Svg.num(top + ph / 2) + ")\"");

        for (int k = 0; k < markers.size(); k++) {
            Marker m = markers.get(k);
            double x = px.applyAsDouble(m.x());
            svg.line(x, top, x, top + ph, m.colour(), 1.2, "stroke-dasharray=\"4 3\"");
            // Labels step down one line per marker, and sit left of a marker near the right edge, so close ones stay legible.
            boolean left = x > LEFT + pw * 0.7;
            svg.text(x + (left ? -3 : 3), top + 12 + 12 * k, m.label(), 10, left ? "end" : "start",
                    "fill=\"" + m.colour() + "\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\"");
        }
        for (Series s : series) {
            StringBuilder d = new StringBuilder();
            boolean pen = false;
            for (int i = 0; i < s.x().length; i++) {
                double y = s.y()[i];
                if (!usable(y)) {
                    pen = false;
                    continue;
                }
                d.append(pen ? " L" : " M").append(Svg.num(px.applyAsDouble(s.x()[i]))).append(',')
                        .append(Svg.num(py.applyAsDouble(y)));
                pen = true;
            }
            if (d.length() > 0) svg.path(d.toString().trim(), s.colour(), 1.6, "class=\"series\"");
            if (s.points()) {
                for (int i = 0; i < s.x().length; i++) {
                    if (usable(s.y()[i])) {
                        svg.circle(px.applyAsDouble(s.x()[i]), py.applyAsDouble(s.y()[i]), 3, s.colour(),
                                s.name() + ": " + Ticks.label(s.y()[i], Math.abs(s.y()[i]) / 1e4) + " at " + Svg.num(s.x()[i]));
                    }
                }
            }
        }
        double ly = top + 8;
        for (Series s : series) {
            if (series.size() < 2) break;
            double lx = LEFT + pw - 130;
            svg.rect(lx, ly, 14, 3, s.colour(), null);
            svg.text(lx + 20, ly + 5, s.name(), 11, "start", null);
            ly += 15;
        }
        return svg.render(cssClass, title);
    }

    private boolean usable(double y) {
        return Double.isFinite(y) && (!logY || y > 0);
    }
}
