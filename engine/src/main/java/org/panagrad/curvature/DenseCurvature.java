package org.panagrad.curvature;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.panagrad.analysis.CurvatureOperator;

/**
 * An explicit symmetric curvature matrix (small models, or the last layer of a classifier: Laplace's
 * {@code full}, exact influence functions), held in double. Damped solves and log-determinants come from a
 * Cholesky factorisation, kept for the last damping used; the eigenvalues from one values-only symmetric
 * eigen-decomposition (for tuning a prior precision, every log det(C + delta I) is then a sum). A Cholesky
 * that fails means C + damping I is not positive definite: that fails with a message suggesting damping.
 */
public final class DenseCurvature implements CurvatureOperator {
    private final String what;
    private final int n;
    private final DMatrixRMaj matrix;
    private DMatrixRMaj factor;
    private double factorDamping = Double.NaN;
    private double[] eigenvalues;
    private final double[] work;

    /** @param matrix row-major n x n, symmetric (only symmetrised); kept, not copied */
    public DenseCurvature(String what, double[] matrix, int n) {
        if (matrix.length != n * n) throw new IllegalArgumentException(what + ": " + matrix.length + " entries for " + n + " x " + n);
        this.what = what;
        this.n = n;
        this.matrix = DMatrixRMaj.wrap(n, n, matrix);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                double s = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
                matrix[i * n + j] = s;
                matrix[j * n + i] = s;
            }
        }
        this.work = new double[n];
    }

    @Override
    public int dimension() {
        return n;
    }

    /** Entry (i, j). */
    public double get(int i, int j) {
        return matrix.data[i * n + j];
    }

    @Override
    public void apply(float[] v, float[] out) {
        double[] a = matrix.data;
        for (int i = 0; i < n; i++) {
            double s = 0;
            int row = i * n;
            for (int j = 0; j < n; j++) s += a[row + j] * v[j];
            out[i] = (float) s;
        }
    }

    @Override
    public void solve(double damping, float[] v, float[] out) {
        DMatrixRMaj l = cholesky(damping);
        for (int i = 0; i < n; i++) work[i] = v[i];
        forward(l, work);
        backward(l, work);
        for (int i = 0; i < n; i++) out[i] = (float) work[i];
    }

    /**
     * out = L^-T z where L L^T = C + damping I: for z ~ N(0, I), out ~ N(0, (C + damping I)^-1), a posterior
     * sample around 0.
     */
    @Override
    public void sampleInverse(double damping, float[] z, float[] out) {
        DMatrixRMaj l = cholesky(damping);
        for (int i = 0; i < n; i++) work[i] = z[i];
        backward(l, work);
        for (int i = 0; i < n; i++) out[i] = (float) work[i];
    }

    /** The explicit (C + damping I)^-1, row-major, by EJML's blocked Cholesky inversion. */
    public double[] inverse(double damping) {
        cholesky(damping); // fails first, with its message, when the damped matrix is not positive definite
        DMatrixRMaj a = matrix.copy();
        for (int i = 0; i < n; i++) a.data[i * n + i] += damping;
        DMatrixRMaj inv = new DMatrixRMaj(n, n);
        if (!CommonOps_DDRM.invertSPD(a, inv)) throw new ArithmeticException("inverting " + what + " + " + damping + " I failed");
        return inv.data;
    }

    @Override
    public double trace() {
        double t = 0;
        for (int i = 0; i < n; i++) t += matrix.data[i * n + i];
        return t;
    }

    @Override
    public double logDeterminant(double damping) {
        DMatrixRMaj l = cholesky(damping);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.log(l.data[i * n + i]);
        return 2 * s;
    }

    @Override
    public double[] eigenvalues() {
        if (eigenvalues == null) {
            EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false, true);
            if (!eig.decompose(matrix.copy())) throw new ArithmeticException("the eigenvalues of " + what + " did not converge");
            eigenvalues = new double[n];
            for (int i = 0; i < n; i++) eigenvalues[i] = eig.getEigenvalue(i).getReal();
        }
        return eigenvalues.clone();
    }

    /** The lower Cholesky factor of C + damping I, kept for the last damping. */
    private DMatrixRMaj cholesky(double damping) {
        if (factor != null && damping == factorDamping) return factor;
        DMatrixRMaj a = matrix.copy();
        for (int i = 0; i < n; i++) a.data[i * n + i] += damping;
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(n, true);
        double largest = 0;
        for (int i = 0; i < n; i++) largest = Math.max(largest, Math.abs(matrix.data[i * n + i]));
        if (!chol.decompose(a)) {
            double smallest = java.util.Arrays.stream(eigenvalues()).min().orElse(0) + damping;
            Spectra.requirePositiveDefinite(what, Math.min(smallest, 0), largest + damping, damping);
        }
        DMatrixRMaj l = chol.getT(null);
        double smallestPivot = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) smallestPivot = Math.min(smallestPivot, l.data[i * n + i] * l.data[i * n + i]);
        Spectra.requirePositiveDefinite(what, smallestPivot, largest + damping, damping);
        factor = l;
        factorDamping = damping;
        return l;
    }

    /** x = L^-1 x. */
    private void forward(DMatrixRMaj l, double[] x) {
        double[] a = l.data;
        for (int i = 0; i < n; i++) {
            double s = x[i];
            for (int k = 0; k < i; k++) s -= a[i * n + k] * x[k];
            x[i] = s / a[i * n + i];
        }
    }

    /** x = L^-T x. */
    private void backward(DMatrixRMaj l, double[] x) {
        double[] a = l.data;
        for (int i = n - 1; i >= 0; i--) {
            double s = x[i];
            for (int k = i + 1; k < n; k++) s -= a[k * n + i] * x[k];
            x[i] = s / a[i * n + i];
        }
    }
}
