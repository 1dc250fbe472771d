package org.panagrad.analysis;

import org.apache.commons.math3.linear.EigenDecomposition;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Stochastic Lanczos quadrature (Ghorbani, Krishnan and Xiao 2019; PyHessian's density): each run starts from a
 * normalized Rademacher vector v, takes m Lanczos steps with full reorthogonalization, and eigen-decomposes the
 * m x m tridiagonal T. The Ritz values (eigenvalues of T) are the nodes and the squared first components of T's
 * eigenvectors the weights of a Gauss rule for the spectral measure of A seen from v; {@link SpectralDensity}
 * smooths them into a density.
 *
 * <p>The Lanczos basis is kept in float (m vectors of the operator's dimension: 100 steps over 400k parameters
 * take 160 MB), with inner products accumulated in double; reorthogonalizing against the whole basis each step
 * costs about 2 m^2 n flops per run, next to the m operator products. A run stops early if the new residual is
 * below 1e-5 of the largest ||A v|| seen (an invariant Krylov space: the rule is then exact) and never takes
 * more steps than the dimension, so m >= dimension yields every eigenvalue that v sees.
 */
public final class StochasticLanczosQuadrature {
    private static final double BREAKDOWN = 1e-5;

    private StochasticLanczosQuadrature() {}

    /**
     * @param runs  independent start vectors (PyHessian's n_v)
     * @param steps Lanczos steps per run (PyHessian's iter), capped at the dimension
     * @param seed  of the Rademacher start vectors
     */
    public record Settings(int runs, int steps, long seed) {
        public Settings {
            if (runs < 1) throw new IllegalArgumentException("stochastic Lanczos quadrature: runs must be at least 1, got " + runs);
            if (steps < 1) throw new IllegalArgumentException("stochastic Lanczos quadrature: steps must be at least 1, got " + steps);
        }

        /** PyHessian's defaults: one run of 100 steps. */
        public static Settings pyHessian(long seed) {
            return new Settings(1, 100, seed);
        }
    }

    public static SpectralQuadrature run(LinearOperator op, Settings settings) {
        int n = op.dimension();
        int m = Math.min(settings.steps(), n);
        SplittableRandom rnd = new SplittableRandom(settings.seed());
        float[][] basis = new float[m][];
        float[] w = new float[n];
        double[][] nodes = new double[settings.runs()][], weights = new double[settings.runs()][];
        int[] steps = new int[settings.runs()];
        long products = 0;
        for (int r = 0; r < settings.runs(); r++) {
            if (basis[0] == null) basis[0] = new float[n];
            Vectors.fillRademacher(rnd, basis[0]);
            Vectors.scale(1 / Math.sqrt(n), basis[0]);
            double[] alpha = new double[m], beta = new double[m];
            double scale = 0;
            int j = 0;
            while (true) {
                op.apply(basis[j], w);
                products++;
                scale = Math.max(scale, Vectors.norm(w));
                alpha[j] = Vectors.dot(w, basis[j]);
                if (j + 1 == m) break;
                // The three-term recurrence, then the full reorthogonalization that keeps the basis orthonormal
                // in finite precision (without it, converged Ritz values come back as spurious copies).
                Vectors.axpy(-alpha[j], basis[j], w);
                if (j > 0) Vectors.axpy(-beta[j - 1], basis[j - 1], w);
                double b = Vectors.orthogonalize(w, basis, j + 1);
                if (b <= BREAKDOWN * scale) break;
                beta[j] = b;
                if (basis[j + 1] == null) basis[j + 1] = new float[n];
                System.arraycopy(w, 0, basis[j + 1], 0, n);
                Vectors.scale(1 / b, basis[j + 1]);
                j++;
            }
            int k = j + 1;
            steps[r] = k;
            double[][] rule = gaussRule(Arrays.copyOf(alpha, k), Arrays.copyOf(beta, k - 1));
            nodes[r] = rule[0];
            weights[r] = rule[1];
        }
        return new SpectralQuadrature(settings, n, nodes, weights, steps, products);
    }

    /** Nodes (ascending) and weights of the Gauss rule of the tridiagonal matrix with this diagonal and off-diagonal. */
    static double[][] gaussRule(double[] diagonal, double[] offDiagonal) {
        int k = diagonal.length;
        if (k == 1) return new double[][] {{diagonal[0]}, {1}};
        EigenDecomposition eig = new EigenDecomposition(diagonal, offDiagonal);
        double[] values = eig.getRealEigenvalues();
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        double[] nodes = new double[k], weights = new double[k];
        for (int i = 0; i < k; i++) {
            nodes[i] = values[order[i]];
            double first = eig.getEigenvector(order[i]).getEntry(0);
            weights[i] = first * first;
        }
        return new double[][] {nodes, weights};
    }
}
