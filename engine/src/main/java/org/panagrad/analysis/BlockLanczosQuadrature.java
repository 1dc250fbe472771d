package org.panagrad.analysis;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Stochastic Lanczos quadrature with block Lanczos (Golub and Underwood 1977): each run starts from a block Z of k
 * Rademacher probes, Z = Q_1 R (thin QR), and takes block steps A Q_j = Q_{j-1} B_{j-1}^T + Q_j A_j + Q_{j+1} B_j
 * with one block product each and full reorthogonalization, building the block-tridiagonal T = Q^T A Q of order
 * m = k * (block steps). T's eigenvalues are the nodes; since z_p^T f(A) z_p ~ (R^T E_1^T f(T) E_1 R)_pp, the weight
 * of node i is ||R^T y_i[0..k)||^2 / (k n) for T's unit eigenvector y_i: the rule estimates the average of
 * z_p^T f(A) z_p / n over the k probes, i.e. tr(f(A)) / n, as {@link StochasticLanczosQuadrature}'s does for one
 * probe, and its weights sum to 1. The block Krylov space of order m costs as many products as one single run of
 * m steps, but in m / k block products, and its extreme Ritz values see k directions at once.
 *
 * <p>Settings are {@link StochasticLanczosQuadrature}'s: {@code runs} independent blocks, and {@code steps} the order
 * m of T per run, rounded up to a whole number of block steps and capped at the dimension. A run stops early when
 * a new block's smallest QR pivot is below 1e-5 of the largest ||A q|| seen (the space is then nearly invariant:
 * its Ritz values are eigenvalues). The result reports m per run as its steps.
 */
public final class BlockLanczosQuadrature {
    private static final double BREAKDOWN = 1e-5;

    private BlockLanczosQuadrature() {}

    public static SpectralQuadrature run(BlockLinearOperator op, StochasticLanczosQuadrature.Settings settings) {
        int n = op.dimension(), k = op.blockSize();
        if (k > n) throw new IllegalArgumentException("block Lanczos: a block of " + k + " vectors in dimension " + n);
        int blockSteps = Math.max(1, Math.min((settings.steps() + k - 1) / k, n / k));
        SplittableRandom rnd = new SplittableRandom(settings.seed());
        float[][] basis = new float[blockSteps * k][];
        float[][] w = new float[k][n];
        double[][] nodes = new double[settings.runs()][], weights = new double[settings.runs()][];
        int[] steps = new int[settings.runs()];
        long products = 0;
        for (int r = 0; r < settings.runs(); r++) {
            for (int p = 0; p < k; p++) {
                if (basis[p] == null) basis[p] = new float[n];
                Vectors.fillRademacher(rnd, basis[p]);
            }
            double[][] rFactor = qr(basis, 0, k, 0, rnd);
            double[][] t = new double[blockSteps * k][blockSteps * k];
            double scale = 0;
            int j = 0;
            float[][] block = new float[k][];
            while (true) {
                System.arraycopy(basis, j * k, block, 0, k);
                op.apply(block, w);
                products += k;
                for (float[] col : w) scale = Math.max(scale, Vectors.norm(col));
                for (int a = 0; a < k; a++) {
                    for (int b = a; b < k; b++) {
                        double d = (Vectors.dot(block[a], w[b]) + Vectors.dot(block[b], w[a])) / 2;
                        t[j * k + a][j * k + b] = t[j * k + b][j * k + a] = d;
                    }
                }
                if (j + 1 == blockSteps) break;
                // Full reorthogonalization against every basis vector so far (it also removes Q_j A_j and
                // Q_{j-1} B_{j-1}^T, the three-term part); the QR of what is left gives Q_{j+1} and B_j.
                int next = (j + 1) * k;
                for (int p = 0; p < k; p++) {
                    Vectors.orthogonalize(w[p], basis, next);
                    if (basis[next + p] == null) basis[next + p] = new float[n];
                    System.arraycopy(w[p], 0, basis[next + p], 0, n);
                }
                double[][] b = qr(basis, next, k, BREAKDOWN * scale, null);
                if (b == null) break;
                for (int a = 0; a < k; a++) {
                    for (int c = 0; c < k; c++) t[next + a][j * k + c] = t[j * k + c][next + a] = b[a][c];
                }
                j++;
            }
            int m = (j + 1) * k;
            steps[r] = m;
            double[][][] rule = gaussRule(t, m, rFactor, k, n);
            nodes[r] = rule[0][0];
            weights[r] = rule[1][0];
        }
        return new SpectralQuadrature(settings, n, nodes, weights, steps, products);
    }

    /**
     * Modified Gram-Schmidt QR of basis[from..from+k): the block becomes Q and R is returned. A pivot at most
     * {@code tiny} marks a column in the span of the basis before it: with {@code redraw} it is replaced by a
     * random unit vector orthogonal to that span (a probe block that happens to be dependent); without, the
     * method returns null (a residual block that spans nothing new: the Krylov space is invariant).
     */
    private static double[][] qr(float[][] basis, int from, int k, double tiny, SplittableRandom redraw) {
        double[][] r = new double[k][k];
        for (int p = 0; p < k; p++) {
            float[] col = basis[from + p];
            for (int a = 0; a < p; a++) {
                double d = Vectors.dot(col, basis[from + a]);
                r[a][p] = d;
                Vectors.axpy(-d, basis[from + a], col);
            }
            double norm = Vectors.orthogonalize(col, basis, from + p);
            r[p][p] = norm;
            if (norm <= tiny && redraw == null) return null;
            while (norm <= tiny) {
                Vectors.fillGaussian(redraw, col);
                norm = Vectors.orthogonalize(col, basis, from + p);
            }
            Vectors.scale(1 / norm, col);
        }
        return r;
    }

    /** Nodes (ascending) and weights ||R^T y_i[0..k)||^2 / (k n) of T's leading m x m block. */
    private static double[][][] gaussRule(double[][] t, int m, double[][] r, int k, int n) {
        double[][] tm = new double[m][];
        for (int i = 0; i < m; i++) tm[i] = Arrays.copyOf(t[i], m);
        EigenDecomposition eig = new EigenDecomposition(new Array2DRowRealMatrix(tm, false));
        double[] values = eig.getRealEigenvalues();
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        double[] nodes = new double[m], weights = new double[m];
        for (int i = 0; i < m; i++) {
            double[] y = eig.getEigenvector(order[i]).toArray();
            double w = 0;
            for (int p = 0; p < k; p++) {
                double s = 0;
                for (int a = 0; a <= p; a++) s += r[a][p] * y[a]; // (R^T y)_p
                w += s * s;
            }
            nodes[i] = values[order[i]];
            weights[i] = w / ((double) k * n);
        }
        return new double[][][] {{nodes}, {weights}};
    }
}
