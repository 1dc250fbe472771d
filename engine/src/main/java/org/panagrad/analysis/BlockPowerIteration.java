package org.panagrad.analysis;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The eigenvalues of largest magnitude and their eigenvectors by block power iteration (subspace iteration with
 * Rayleigh-Ritz): a block Q of k orthonormal vectors is multiplied at once (one block product instead of k
 * single ones), the k x k matrix Q^T A Q is diagonalised (Commons Math), its Ritz vectors are ordered by |value|,
 * and A times them, orthonormalised in that order, is the next block. Eigenvalue i converges as
 * |lambda_{k+1} / lambda_i|^t, so a block larger than the count asked for (guard vectors) speeds up the last ones;
 * unlike deflated single-vector power iteration ({@link PowerIteration}), a pair of eigenvalues of equal magnitude
 * and opposite sign inside the block does not stall it.
 *
 * <p>Stopping rule: {@link PowerIteration}'s, for each of the {@code count} leading values at once: stop when every
 * one changed by at most relativeTolerance times max(|its value|, |the first value|) since the last iteration.
 * The residual norm ||A u - theta u|| of each returned pair is reported. Deterministic for a seed and operator.
 */
public final class BlockPowerIteration {
    private BlockPowerIteration() {}

    /**
     * @param op       its block size k bounds {@code settings.count()}; maxIterations caps the block products
     * @param settings as for {@link PowerIteration}; the seed draws the Gaussian start block
     */
    public static PowerIteration.Eigenpairs topEigenpairs(BlockLinearOperator op, PowerIteration.Settings settings) {
        int n = op.dimension(), k = op.blockSize(), count = settings.count();
        if (count > k) {
            throw new IllegalArgumentException("block power iteration: asked for " + count
                    + " eigenpairs with blocks of " + k + " vectors; the block must hold at least as many");
        }
        if (k > n) {
            throw new IllegalArgumentException("block power iteration: a block of " + k + " vectors in dimension " + n);
        }
        SplittableRandom rnd = new SplittableRandom(settings.seed());
        float[][] q = new float[k][n], aq = new float[k][n], u = new float[k][n], au = new float[k][n];
        for (float[] row : q) Vectors.fillGaussian(rnd, row);
        orthonormalize(q, rnd);
        double[] values = new double[k], previous = new double[k], residuals = new double[count];
        boolean[] converged = new boolean[count];
        int t = 0;
        while (true) {
            op.apply(q, aq);
            t++;
            double[][] projected = new double[k][k];
            for (int a = 0; a < k; a++) {
                for (int b = a; b < k; b++) {
                    projected[a][b] = projected[b][a] = (Vectors.dot(q[a], aq[b]) + Vectors.dot(q[b], aq[a])) / 2;
                }
            }
            EigenDecomposition eig = new EigenDecomposition(new Array2DRowRealMatrix(projected, false));
            double[] theta = eig.getRealEigenvalues();
            Integer[] order = new Integer[k];
            for (int i = 0; i < k; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Double.compare(Math.abs(theta[b]), Math.abs(theta[a])));
            for (int i = 0; i < k; i++) {
                double[] s = eig.getEigenvector(order[i]).toArray();
                Arrays.fill(u[i], 0);
                Arrays.fill(au[i], 0);
                for (int a = 0; a < k; a++) {
                    Vectors.axpy(s[a], q[a], u[i]);
                    Vectors.axpy(s[a], aq[a], au[i]);
                }
                values[i] = theta[order[i]];
            }
            boolean done = t > 1;
            for (int i = 0; i < count; i++) {
                residuals[i] = Vectors.distance(au[i], values[i], u[i]);
                double magnitude = Math.max(Math.abs(values[i]), Math.abs(values[0]));
                converged[i] = t > 1 && Math.abs(values[i] - previous[i]) <= settings.relativeTolerance() * magnitude
                        || residuals[i] == 0;
                done &= converged[i];
            }
            if (done || t == settings.maxIterations()) break;
            System.arraycopy(values, 0, previous, 0, k);
            for (int i = 0; i < k; i++) System.arraycopy(au[i], 0, q[i], 0, n);
            orthonormalize(q, rnd);
        }
        int[] iterations = new int[count];
        Arrays.fill(iterations, t);
        TopEigenvalues top = new TopEigenvalues(settings, Arrays.copyOf(values, count), iterations, converged,
                residuals, (long) t * k);
        return new PowerIteration.Eigenpairs(top, Arrays.copyOf(u, count));
    }

    /** Modified Gram-Schmidt in order; a vector in the span of those before it (A q = 0 there) is drawn anew. */
    private static void orthonormalize(float[][] q, SplittableRandom rnd) {
        for (int i = 0; i < q.length; i++) {
            double norm = Vectors.orthogonalize(q[i], q, i);
            while (norm == 0) {
                Vectors.fillGaussian(rnd, q[i]);
                norm = Vectors.orthogonalize(q[i], q, i);
            }
            Vectors.scale(1 / norm, q[i]);
        }
    }
}
