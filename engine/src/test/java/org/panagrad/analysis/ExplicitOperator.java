package org.panagrad.analysis;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

import java.util.Arrays;
import java.util.Random;

/**
 * A symmetric matrix as a {@link LinearOperator}: products in double, rounded to float at the boundary like a
 * compiled program's. Built either from chosen eigenvalues (Q diag(lambda) Q^T with a random orthogonal Q)
 * or from an explicit matrix; the reference eigenvalues come from Commons Math.
 */
final class ExplicitOperator implements LinearOperator {
    final double[][] matrix;
    final double[] eigenvalues; // ascending
    final double[][] eigenvectors; // eigenvectors[i] belongs to eigenvalues[i]
    int products;

    /** Q diag(lambda) Q^T, Q the orthogonal factor of a seeded Gaussian matrix. */
    static ExplicitOperator withSpectrum(long seed, double... lambda) {
        int n = lambda.length;
        Random rnd = new Random(seed);
        double[][] g = new double[n][n];
        for (double[] row : g) for (int j = 0; j < n; j++) row[j] = rnd.nextGaussian();
        RealMatrix q = new QRDecomposition(new Array2DRowRealMatrix(g, false)).getQ();
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += q.getEntry(i, k) * lambda[k] * q.getEntry(j, k);
                m[i][j] = s;
                m[j][i] = s;
            }
        }
        return new ExplicitOperator(m);
    }

    /** The symmetric part of a matrix (a finite-difference Hessian is symmetric only up to its error). */
    ExplicitOperator(double[][] matrix) {
        int n = matrix.length;
        this.matrix = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) this.matrix[i][j] = 0.5 * (matrix[i][j] + matrix[j][i]);
        }
        EigenDecomposition eig = new EigenDecomposition(new Array2DRowRealMatrix(this.matrix, false));
        double[] values = eig.getRealEigenvalues();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        eigenvalues = new double[n];
        eigenvectors = new double[n][];
        for (int i = 0; i < n; i++) {
            eigenvalues[i] = values[order[i]];
            eigenvectors[i] = eig.getEigenvector(order[i]).toArray();
        }
    }

    @Override
    public int dimension() {
        return matrix.length;
    }

    @Override
    public void apply(float[] v, float[] out) {
        products++;
        for (int i = 0; i < matrix.length; i++) {
            double s = 0;
            for (int j = 0; j < v.length; j++) s += matrix[i][j] * v[j];
            out[i] = (float) s;
        }
    }

    /** A v in double. */
    double[] times(float[] v) {
        double[] out = new double[matrix.length];
        for (int i = 0; i < matrix.length; i++) {
            for (int j = 0; j < v.length; j++) out[i] += matrix[i][j] * v[j];
        }
        return out;
    }

    double trace() {
        double t = 0;
        for (int i = 0; i < matrix.length; i++) t += matrix[i][i];
        return t;
    }

    /** tr(A^2) = the squared Frobenius norm. */
    double traceOfSquare() {
        double t = 0;
        for (double[] row : matrix) for (double x : row) t += x * x;
        return t;
    }

    /** The variance of z.Az for a Rademacher z: 2 * sum over i != j of A_ij^2. */
    double hutchinsonVariance() {
        double offDiagonal = traceOfSquare();
        for (int i = 0; i < matrix.length; i++) offDiagonal -= matrix[i][i] * matrix[i][i];
        return 2 * offDiagonal;
    }

    /** The eigenvalues sorted by decreasing magnitude. */
    double[] byMagnitude() {
        return Arrays.stream(eigenvalues).boxed().sorted((a, b) -> Double.compare(Math.abs(b), Math.abs(a)))
                .mapToDouble(Double::doubleValue).toArray();
    }

    /** |cos| of the angle between v and the eigenvector of the eigenvalue nearest to lambda. */
    double alignment(float[] v, double lambda) {
        int best = 0;
        for (int i = 1; i < eigenvalues.length; i++) {
            if (Math.abs(eigenvalues[i] - lambda) < Math.abs(eigenvalues[best] - lambda)) best = i;
        }
        double dot = 0, norm = 0;
        for (int i = 0; i < v.length; i++) {
            dot += v[i] * eigenvectors[best][i];
            norm += (double) v[i] * v[i];
        }
        return Math.abs(dot) / Math.sqrt(norm);
    }
}
