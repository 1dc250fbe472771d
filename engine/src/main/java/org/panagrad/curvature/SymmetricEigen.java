package org.panagrad.curvature;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The eigen-decomposition of a symmetric matrix, by EJML in double: eigenvalues, and the eigenvectors as the
 * columns of a row-major float matrix, ready for the float GEMMs that apply them. A decomposition object per
 * size is kept, so the K-FAC optimizer's periodic refactorisations reuse EJML's work arrays.
 */
final class SymmetricEigen {
    /** Up to this size eigenvalues are Rayleigh quotients (allocation-free), beyond it EJML's (n objects per call). */
    static final int RAYLEIGH_MAX_N = 64;

    private final int n;
    private final EigenDecomposition_F64<DMatrixRMaj> decomposition;
    private final DMatrixRMaj matrix;
    /** The symmetrised matrix kept for the Rayleigh quotients (EJML's symmetric decomposition works in place). */
    private final double[] symmetric;

    SymmetricEigen(int n) {
        this.n = n;
        this.decomposition = DecompositionFactory_DDRM.eig(n, true, true);
        this.matrix = new DMatrixRMaj(n, n);
        this.symmetric = new double[n <= RAYLEIGH_MAX_N ? n * n : 0];
    }

    /**
     * Decomposes the symmetric n x n matrix {@code a} (row-major; only symmetrised, not checked): writes the
     * eigenvalues to {@code values} and the unit eigenvectors to the columns of {@code vectors} (row-major n x n).
     */
    void decompose(String what, double[] a, double[] values, float[] vectors) {
        decompose(what, a, 0, values, 0, vectors, 0);
    }

    /** The same for the matrix at a[aOff...], into values[valuesOff...] and vectors[vectorsOff...] (stacked matrices). */
    void decompose(String what, double[] a, int aOff, double[] values, int valuesOff, float[] vectors, int vectorsOff) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) matrix.data[i * n + j] = 0.5 * (a[aOff + i * n + j] + a[aOff + j * n + i]);
        }
        for (double x : matrix.data) {
            if (!Double.isFinite(x)) throw new ArithmeticException(what + " has a non-finite entry (" + x + ")");
        }
        if (n <= RAYLEIGH_MAX_N) System.arraycopy(matrix.data, 0, symmetric, 0, n * n);
        if (!decomposition.decompose(matrix)) {
            throw new ArithmeticException("the eigen-decomposition of " + what + " (" + n + " x " + n + ") did not converge");
        }
        for (int k = 0; k < n; k++) {
            DMatrixRMaj v = decomposition.getEigenVector(k);
            values[valuesOff + k] = n <= RAYLEIGH_MAX_N ? rayleighQuotient(v.data) : decomposition.getEigenvalue(k).getReal();
            for (int i = 0; i < n; i++) vectors[vectorsOff + i * n + k] = (float) v.data[i];
        }
    }

    /**
     * v^T A v for the unit eigenvector v of the symmetrised matrix: its eigenvalue to rounding. EJML's getEigenvalue
     * allocates a Complex_F64 per value, which a small matrix decomposed per example (Laplace's GLM Monte Carlo, the
     * logits' C x C covariance) would do every call; this costs n^2 per value, as much as the decomposition.
     */
    private double rayleighQuotient(double[] v) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double row = 0;
            for (int j = 0; j < n; j++) row += symmetric[i * n + j] * v[j];
            s += v[i] * row;
        }
        return s;
    }

    /** A fresh decomposition of {@code a}: its eigenvalues and its eigenvectors as columns. */
    static Result of(String what, double[] a, int n) {
        double[] values = new double[n];
        float[] vectors = new float[n * n];
        new SymmetricEigen(n).decompose(what, a, values, vectors);
        return new Result(values, vectors);
    }

    record Result(double[] values, float[] vectors) {}
}
