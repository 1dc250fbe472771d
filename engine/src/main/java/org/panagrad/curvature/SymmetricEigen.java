package org.panagrad.curvature;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.decomposition.eig.symm.SymmetricQREigenHelper_DDRM;
import org.ejml.dense.row.decomposition.eig.symm.SymmetricQrAlgorithm_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.TridiagonalSimilarDecomposition_F64;

/**
 * The eigen-decomposition of a symmetric matrix, by EJML in double: eigenvalues, and the eigenvectors as the
 * columns of a row-major float matrix, ready for the float GEMMs that apply them. It drives EJML's parts itself
 * (Householder tridiagonalisation, then the implicit symmetric QR algorithm: the eigenvalues first, then the
 * eigenvectors with them as shifts, the order EJML's own symmetric decomposition takes) with work arrays of its
 * own: that decomposition (EJML 0.43.1) hands its helper's arrays back and forth, and its helper's reset leaves an
 * empty one in its place, so it allocated a copy of the tridiagonal matrix (2n doubles) on every call: 12.6 KB per
 * 785 x 785 factor (K-FAC's refactorisations), 72 B per 3 x 3 covariance (Laplace's GLM Monte Carlo, per example).
 * Its getEigenvalue also allocates (a Complex_F64 per value). Here every array is kept per instance and the
 * eigenvalues are read from one, so a decomposition in steady state allocates nothing.
 */
final class SymmetricEigen {
    private final int n;
    private final TridiagonalSimilarDecomposition_F64<DMatrixRMaj> tridiagonal;
    private final SymmetricQREigenHelper_DDRM helper = new SymmetricQREigenHelper_DDRM();
    private final SymmetricQrAlgorithm_DDRM qr = new SymmetricQrAlgorithm_DDRM(helper);
    private final DMatrixRMaj matrix;
    /** The tridiagonal matrix's diagonal and off-diagonal, and a copy of them for the eigenvector pass. */
    private final double[] diagonal, offDiagonal, savedDiagonal, savedOffDiagonal;
    private double[] eigenvalues;
    /** Q^T of the tridiagonalisation, turned by the QR algorithm's rotations into the eigenvectors as rows. */
    private DMatrixRMaj rows;

    SymmetricEigen(int n) {
        this.n = n;
        this.tridiagonal = DecompositionFactory_DDRM.tridiagonal(n);
        this.matrix = new DMatrixRMaj(n, n);
        this.diagonal = new double[n];
        this.offDiagonal = new double[Math.max(0, n - 1)];
        this.savedDiagonal = new double[n];
        this.savedOffDiagonal = new double[offDiagonal.length];
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
        if (!decompose()) {
            throw new ArithmeticException("the eigen-decomposition of " + what + " (" + n + " x " + n + ") did not converge");
        }
        for (int k = 0; k < n; k++) {
            values[valuesOff + k] = eigenvalues[k];
            for (int i = 0; i < n; i++) vectors[vectorsOff + i * n + k] = (float) rows.data[k * n + i];
        }
    }

    /** The eigenvalues, then the eigenvectors (the rows of {@link #rows}), of {@link #matrix}; false if QR did not converge. */
    private boolean decompose() {
        if (!tridiagonal.decompose(matrix)) return false;
        tridiagonal.getDiagonal(diagonal, offDiagonal);
        // The QR passes work in place on the arrays given to the helper: the second needs the tridiagonal matrix again.
        System.arraycopy(diagonal, 0, savedDiagonal, 0, n);
        System.arraycopy(offDiagonal, 0, savedOffDiagonal, 0, offDiagonal.length);
        helper.init(diagonal, offDiagonal, n);
        qr.setQ(null);
        qr.setFastEigenvalues(true);
        if (!qr.process(-1, null, null)) return false;
        eigenvalues = helper.copyEigenvalues(eigenvalues);
        // The same tridiagonal matrix again, its eigenvalues now known as shifts, accumulating the rotations into Q^T.
        helper.init(savedDiagonal, savedOffDiagonal, n);
        rows = tridiagonal.getQ(rows, true);
        qr.setQ(rows);
        if (!qr.process(-1, null, null, eigenvalues)) return false;
        eigenvalues = helper.copyEigenvalues(eigenvalues);
        return true;
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
