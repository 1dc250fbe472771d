package org.panagrad.spark;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.LinearOperator;

/**
 * The mean loss of a model over (a selection of) a data set, as a function of the flat parameter vector: what
 * the driver-side optimizers and the spectral analyses work on. {@link SparkLoss} evaluates it over a cluster's
 * partitions, {@link LocalLoss} in this process; both run the same compiled programs ({@link ShardEvaluator}), so
 * they agree up to the order of float summation. The model runs in evaluation mode (batch norm on its running
 * statistics, no dropout), so the loss is a deterministic function of the parameters.
 */
public interface DatasetLoss {
    ModelSpec spec();

    /** The number of parameters. */
    int dimension();

    /** Seeded initial parameters (the same on every JVM). */
    float[] initialParameters(long seed);

    /** Seeded initial buffers, the running statistics training starts from (empty for a model without batch norm). */
    float[] initialBuffers(long seed);

    /**
     * The running statistics the evaluation-mode model reads (batch norm), e.g. the ones training returned;
     * until set, the initial ones.
     */
    void setBuffers(float[] buffers);

    /** The mean loss over the selected examples at theta. */
    double loss(float[] theta, Selection selection);

    /** The mean loss over the selected examples at theta; writes its gradient into {@code gradient}. */
    double lossAndGradient(float[] theta, Selection selection, float[] gradient);

    /**
     * The curvature of the mean loss over the selected examples at theta: Hessian-vector or Gauss-Newton-vector
     * products as a {@link LinearOperator}, so that power iteration, Lanczos, Hutchinson and CG run on it
     * unchanged. Close it when done (the distributed one holds broadcasts).
     */
    Curvature curvature(float[] theta, Selection selection, CurvatureProduct.Kind kind);

    /** A curvature operator at one point; {@link #close} releases what it holds. */
    interface Curvature extends LinearOperator, AutoCloseable {
        @Override
        void close();
    }

    /** The error for a selection that covers no example. */
    static IllegalArgumentException emptySelection(Selection selection) {
        return new IllegalArgumentException("the selection " + selection + " covers no example of the data set");
    }
}
