package org.panagrad.analysis;

import java.util.SplittableRandom;

/**
 * The k eigenvalues of largest magnitude and their eigenvectors by power iteration with deflation, as PyHessian
 * computes them: the i-th run starts from a seeded Gaussian vector and, at every iteration, is orthogonalized
 * against the i-1 eigenvectors already found, so it converges to the dominant eigenpair of the operator
 * restricted to their orthogonal complement.
 *
 * <p>Power iteration finds the eigenvalues of largest |lambda|, not the most positive ones: on a Hessian with a
 * negative eigenvalue of larger magnitude than the top positive one, that negative eigenvalue comes first.
 * Two eigenvalues of equal magnitude and opposite sign make the iteration oscillate instead of converge: the
 * result then says converged = false, and its residual norm stays large.
 *
 * <p>Stopping rule (PyHessian's): stop when |lambda_t - lambda_{t-1}| &lt;= relativeTolerance * |lambda_t|, except
 * that for the second and later eigenvalues the magnitude is at least that of the first: on an operator with a
 * null space, the eigenvalues past its rank are float32 rounding noise whose relative change never settles.
 * The Rayleigh quotient converges twice as fast as the vector does, so the residual norm is also reported.
 * With the same seed and a deterministic operator, the result is the same bit for bit.
 */
public final class PowerIteration {
    private PowerIteration() {}

    /**
     * @param count             how many eigenpairs (k), at most the dimension
     * @param maxIterations     the cap on operator products per eigenpair
     * @param relativeTolerance on the change of the eigenvalue estimate between two iterations
     * @param seed              of the random start vectors
     */
    public record Settings(int count, int maxIterations, double relativeTolerance, long seed) {
        public Settings {
            if (count < 1) throw new IllegalArgumentException("power iteration: count must be at least 1, got " + count);
            if (maxIterations < 2) {
                throw new IllegalArgumentException("power iteration: maxIterations must be at least 2, got " + maxIterations);
            }
            if (!(relativeTolerance >= 0)) {
                throw new IllegalArgumentException("power iteration: relativeTolerance must be >= 0, got " + relativeTolerance);
            }
        }

        /** PyHessian's defaults: the top eigenvalue, 100 iterations, relative tolerance 1e-3. */
        public static Settings pyHessian(long seed) {
            return new Settings(1, 100, 1e-3, seed);
        }
    }

    /** The eigenvalues with their unit eigenvectors (eigenvectors[i] belongs to eigenvalues.eigenvalues()[i]). */
    public record Eigenpairs(TopEigenvalues eigenvalues, float[][] eigenvectors) {
    }

    public static Eigenpairs topEigenpairs(LinearOperator op, Settings settings) {
        int n = op.dimension();
        int k = settings.count();
        if (k > n) {
            throw new IllegalArgumentException("power iteration: asked for " + k + " eigenpairs of an operator of dimension " + n);
        }
        SplittableRandom rnd = new SplittableRandom(settings.seed());
        float[][] vectors = new float[k][];
        double[] values = new double[k], residuals = new double[k];
        int[] iterations = new int[k];
        boolean[] converged = new boolean[k];
        float[] av = new float[n];
        long products = 0;
        for (int i = 0; i < k; i++) {
            float[] v = new float[n];
            Vectors.fillGaussian(rnd, v);
            double lambda = Double.NaN, residual = Double.NaN;
            boolean done = false;
            int t = 0;
            while (t < settings.maxIterations()) {
                double norm = Vectors.orthogonalize(v, vectors, i);
                if (norm == 0) {
                    // The iterate fell into the span of the eigenvectors found (or A v was 0 there): restart randomly.
                    Vectors.fillGaussian(rnd, v);
                    continue;
                }
                Vectors.scale(1 / norm, v);
                op.apply(v, av);
                t++;
                double rayleigh = Vectors.dot(av, v);
                residual = Vectors.distance(av, rayleigh, v);
                double magnitude = Math.max(Math.abs(rayleigh), i > 0 ? Math.abs(values[0]) : 0);
                done = t > 1 && Math.abs(rayleigh - lambda) <= settings.relativeTolerance() * magnitude;
                lambda = rayleigh;
                if (Vectors.norm(av) == 0) done = true; // v is in the null space: lambda = 0 exactly
                // At the cap too, keep v: the vector whose Rayleigh quotient and residual are reported.
                if (done || t == settings.maxIterations()) break;
                System.arraycopy(av, 0, v, 0, n);
            }
            vectors[i] = v;
            values[i] = lambda;
            residuals[i] = residual;
            iterations[i] = t;
            converged[i] = done;
            products += t;
        }
        return new Eigenpairs(new TopEigenvalues(settings, values, iterations, converged, residuals, products), vectors);
    }
}
