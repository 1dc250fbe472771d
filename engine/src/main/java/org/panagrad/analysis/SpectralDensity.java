package org.panagrad.analysis;

/**
 * An eigenvalue density on a uniform grid: the quadrature rules of a {@link SpectralQuadrature} with every node
 * replaced by a Gaussian of standard deviation sigma, averaged over runs and normalized so that its trapezoidal
 * integral over the grid is 1. The grid spans [min node - padding, max node + padding]; a padding of a few
 * sigma keeps the Gaussian tails on the grid, so the smoothing leaves the mean where the nodes put it.
 *
 * <p>PyHessian smooths with variance 1e-5 * max(1, width) on 10000 bins and plots the density on a log scale;
 * here sigma is explicit and absolute, and {@link #of(SpectralQuadrature, int)} picks 1% of the node range.
 */
public record SpectralDensity(int gridPoints, double sigma, double padding, double[] grid, double[] density) {

    public static SpectralDensity of(SpectralQuadrature quadrature, int gridPoints, double sigma, double padding) {
        if (gridPoints < 2) throw new IllegalArgumentException("spectral density: gridPoints must be at least 2, got " + gridPoints);
        if (!(sigma > 0)) throw new IllegalArgumentException("spectral density: sigma must be positive, got " + sigma);
        if (!(padding >= 0)) throw new IllegalArgumentException("spectral density: padding must be >= 0, got " + padding);
        double lo = quadrature.minNode() - padding, hi = quadrature.maxNode() + padding;
        if (!(hi > lo)) {
            throw new IllegalArgumentException("spectral density: every node is at " + lo + " and padding is 0: the grid would be one point");
        }
        double[] grid = new double[gridPoints], density = new double[gridPoints];
        double step = (hi - lo) / (gridPoints - 1);
        for (int i = 0; i < gridPoints; i++) grid[i] = lo + i * step;
        double norm = 1 / (sigma * Math.sqrt(2 * Math.PI));
        double[][] nodes = quadrature.nodes(), weights = quadrature.weights();
        for (int r = 0; r < nodes.length; r++) {
            for (int k = 0; k < nodes[r].length; k++) {
                double node = nodes[r][k], weight = weights[r][k] * norm;
                // Only grid points within 10 sigma: beyond, exp underflows relative to the peak (e^-50).
                int from = Math.max(0, (int) Math.floor((node - 10 * sigma - lo) / step));
                int to = Math.min(gridPoints - 1, (int) Math.ceil((node + 10 * sigma - lo) / step));
                for (int i = from; i <= to; i++) {
                    double z = (grid[i] - node) / sigma;
                    density[i] += weight * Math.exp(-0.5 * z * z);
                }
            }
        }
        double integral = trapezoid(grid, density, 0);
        for (int i = 0; i < gridPoints; i++) density[i] /= integral;
        return new SpectralDensity(gridPoints, sigma, padding, grid, density);
    }

    /** Sigma at 1% of the node range (or of the nodes' magnitude when they coincide), padding 4 sigma. */
    public static SpectralDensity of(SpectralQuadrature quadrature, int gridPoints) {
        double width = quadrature.maxNode() - quadrature.minNode();
        double scale = width > 0 ? width : Math.max(Math.abs(quadrature.maxNode()), 1e-12);
        double sigma = 0.01 * scale;
        return of(quadrature, gridPoints, sigma, 4 * sigma);
    }

    /** The trapezoidal integral of lambda^power * density over the grid (power 0: 1, up to rounding). */
    public double moment(int power) {
        return trapezoid(grid, density, power);
    }

    private static double trapezoid(double[] x, double[] y, int power) {
        double sum = 0;
        for (int i = 1; i < x.length; i++) {
            double a = Math.pow(x[i - 1], power) * y[i - 1], b = Math.pow(x[i], power) * y[i];
            sum += 0.5 * (a + b) * (x[i] - x[i - 1]);
        }
        return sum;
    }
}
