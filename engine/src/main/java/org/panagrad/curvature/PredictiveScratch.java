package org.panagrad.curvature;

import org.panagrad.kernels.GemmOperand;

/**
 * The buffers of {@link Laplace}'s predictives, kept between calls and grown to the largest batch, class count and
 * Jacobian program seen, so that a steady loop over test batches allocates nothing: the logits' covariances or
 * variances, the Kronecker operator's workspace for one Jacobian program, the last-layer full posterior's rows
 * and products (as GEMM operands), and the GLM Monte Carlo's per-example eigen-decomposition and sample arrays.
 */
final class PredictiveScratch {
    private float[] covariance = new float[0], variance = new float[0];
    private LayerBackprop workspaceFor;
    private KroneckerCurvature.Workspace workspace;
    private Rows rows = new Rows(GemmOperand.of(new float[0], 0, 1), GemmOperand.of(new float[0], 0, 1));
    private Glm glm;

    /** An example's inputs [batch, p] to the last layer and their products with a p x p block, as GEMM operands. */
    record Rows(GemmOperand inputs, GemmOperand products) {}

    /** The GLM Monte Carlo's arrays for one class count. */
    static final class Glm {
        final int classes;
        final SymmetricEigen eigen;
        final double[] block, values, root, f, z, mean;
        final float[] vectors;

        private Glm(int classes) {
            this.classes = classes;
            eigen = new SymmetricEigen(classes);
            block = new double[classes * classes];
            root = new double[classes * classes];
            values = new double[classes];
            f = new double[classes];
            z = new double[classes];
            mean = new double[classes];
            vectors = new float[classes * classes];
        }
    }

    float[] covariance(int size) {
        if (covariance.length < size) covariance = new float[size];
        return covariance;
    }

    float[] variance(int size) {
        if (variance.length < size) variance = new float[size];
        return variance;
    }

    KroneckerCurvature.Workspace kronecker(LayerBackprop jacobian) {
        if (workspaceFor != jacobian) {
            workspace = new KroneckerCurvature.Workspace(jacobian);
            workspaceFor = jacobian;
        }
        return workspace;
    }

    /** Rows of {@code size} floats with leading dimension p. */
    Rows rows(int size, int p) {
        if (rows.inputs().array().length < size || rows.inputs().ld() != p) {
            rows = new Rows(GemmOperand.of(new float[size], 0, p), GemmOperand.of(new float[size], 0, p));
        }
        return rows;
    }

    Glm glm(int classes) {
        if (glm == null || glm.classes != classes) glm = new Glm(classes);
        return glm;
    }
}
