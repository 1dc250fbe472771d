package org.panagrad.analysis;

/**
 * The Gauss quadrature rules of {@link StochasticLanczosQuadrature}: per run, nodes (Ritz values, ascending)
 * and weights (summing to 1) such that sum_k weights[r][k] f(nodes[r][k]) approximates v_r.f(A)v_r for that
 * run's unit start vector v_r, an unbiased estimate of tr(f(A)) / dimension.
 *
 * @param steps    Lanczos steps actually taken per run: fewer than asked when the Krylov space became invariant
 *                 (the rule is then exact for that start vector) or when the dimension is smaller
 * @param products operator products in all
 */
public record SpectralQuadrature(StochasticLanczosQuadrature.Settings settings, int dimension, double[][] nodes,
                                 double[][] weights, int[] steps, long products) {

    /** The average over runs of sum_k w_k * node_k^power: estimates tr(A^power) / dimension. */
    public double moment(int power) {
        double sum = 0;
        for (int r = 0; r < nodes.length; r++) {
            for (int k = 0; k < nodes[r].length; k++) sum += weights[r][k] * Math.pow(nodes[r][k], power);
        }
        return sum / nodes.length;
    }

    public double minNode() {
        double m = Double.POSITIVE_INFINITY;
        for (double[] run : nodes) m = Math.min(m, run[0]);
        return m;
    }

    public double maxNode() {
        double m = Double.NEGATIVE_INFINITY;
        for (double[] run : nodes) m = Math.max(m, run[run.length - 1]);
        return m;
    }
}
