package org.panagrad.demo;

import org.panagrad.demo.report.LineChart;

import java.util.Locale;

/**
 * The Hessian's eigenvalue density as an SVG chart: log-scale density over the eigenvalue with round ticks and
 * major gridlines only; values below 1e-8 of the peak are left out (the line stops) rather than clamped into a
 * flat floor; the top eigenvalues are dashed markers; the title gives the model and the sample count, and the
 * trace (with its standard error) sits under it. The hessian command and the report draw it alike.
 */
final class HessianPlot {
    static final double FLOOR = 1e-8;

    private HessianPlot() {}

    static String svg(String module, int samples, double[] grid, double[] density, double[] topEigenvalues,
                      double traceMean, double traceError, int traceSamples) {
        double peak = 0;
        for (double d : density) peak = Math.max(peak, d);
        double[] shown = new double[density.length];
        for (int i = 0; i < shown.length; i++) shown[i] = density[i] >= peak * FLOOR ? density[i] : Double.NaN;
        LineChart chart = new LineChart(String.format(Locale.ROOT, "Hessian eigenvalue density, %s, %,d samples", module, samples),
                "eigenvalue", "density (log scale)").logY(true).size(760, 400)
                .add(new LineChart.Series("density", "#1f77b4", grid, shown, false))
                .note(String.format(Locale.ROOT, "trace %.4g ± %.2g (Hutchinson, %d vectors); top eigenvalues dashed",
                        traceMean, traceError, traceSamples));
        for (int i = 0; i < topEigenvalues.length; i++) {
            chart.mark(new LineChart.Marker(topEigenvalues[i], String.format(Locale.ROOT, "λ%d = %.4g", i + 1, topEigenvalues[i]),
                    "#d62728"));
        }
        return chart.render("hessian-density");
    }
}
