package org.panagrad.spark;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.optim.secondorder.Lbfgs;
import org.panagrad.optim.secondorder.NewtonCg;
import org.panagrad.optim.secondorder.SmoothFunction;
import org.panagrad.optim.secondorder.StrongWolfeLineSearch;

/**
 * The mean loss of a {@link DatasetLoss} over a fixed selection as the engine optimizers' {@link SmoothFunction}:
 * the current point lives here on the driver, every value and gradient is one distributed job (or, for a
 * {@link LocalLoss}, one pass in this process), and the curvature is the distributed Gauss-Newton or Hessian
 * product over the curvature selection (a sample of the batch), one job per product. So the engine's own
 * {@link Lbfgs} (strong-Wolfe line search) and {@link NewtonCg} (Martens' truncated CG, Levenberg-Marquardt
 * damping, Armijo backtracking) run unchanged on the whole data set, as MLlib's LBFGS runs Breeze's.
 * Close it to release the last curvature operator's broadcast.
 */
public final class DatasetFunction implements SmoothFunction, AutoCloseable {
    private final DatasetLoss loss;
    private final Selection batch, curvatureBatch;
    private final CurvatureProduct.Kind kind;
    private final float[] theta;
    private DatasetLoss.Curvature curvature;
    private long evaluations;

    /** L-BFGS's function: the mean loss over {@code batch}, starting at theta (copied); no curvature. */
    public DatasetFunction(DatasetLoss loss, Selection batch, float[] theta) {
        this(loss, batch, null, null, theta);
    }

    /** Newton-CG's function: with {@code kind} products over {@code curvatureBatch}. */
    public DatasetFunction(DatasetLoss loss, Selection batch, Selection curvatureBatch, CurvatureProduct.Kind kind, float[] theta) {
        if (theta.length != loss.dimension()) {
            throw new IllegalArgumentException(loss.spec() + " has " + loss.dimension() + " parameters, got a vector of " + theta.length);
        }
        this.loss = loss;
        this.batch = batch;
        this.curvatureBatch = curvatureBatch;
        this.kind = kind;
        this.theta = theta.clone();
    }

    /**
     * The driver's L-BFGS: {@code history} pairs, first step 1 (1/|g|_2 at the first iteration, a step of unit
     * length as L-BFGS-B and Breeze, MLlib's L-BFGS, take it, so that the `mllib` comparison runs one algorithm on
     * both sides), and the strong-Wolfe line search with torch's and Breeze's constants (c1 1e-4, c2 0.9) and at
     * most 25 evaluations. At the seeded start of 784-500-10 (sigmoid) on MNIST neither first rule is accepted at
     * once: the Wolfe steps lie in about [0.008, 0.12] along -g, torch's 1/|g|_1 is 0.0024 and 1/|g|_2 is 0.27.
     */
    public static Lbfgs.Options lbfgsOptions(int history) {
        return new Lbfgs.Options(1.0, history, StrongWolfeLineSearch.C1, 0.5, 25, Lbfgs.LineSearch.STRONG_WOLFE,
                Lbfgs.FirstStep.UNIT_LENGTH);
    }

    @Override
    public int dimension() {
        return theta.length;
    }

    @Override
    public void read(float[] out) {
        System.arraycopy(theta, 0, out, 0, theta.length);
    }

    @Override
    public void write(float[] in) {
        System.arraycopy(in, 0, theta, 0, theta.length);
    }

    @Override
    public void addScaled(float alpha, float[] d) {
        for (int i = 0; i < theta.length; i++) theta[i] += alpha * d[i];
    }

    @Override
    public double valueAndGradient(float[] gradient) {
        evaluations++;
        return loss.lossAndGradient(theta, batch, gradient);
    }

    @Override
    public double value() {
        evaluations++;
        return loss.loss(theta, batch);
    }

    @Override
    public LinearOperator curvature() {
        if (kind == null) throw new IllegalStateException("this function was made without a curvature selection");
        close();
        curvature = loss.curvature(theta, curvatureBatch, kind);
        return curvature;
    }

    /** The whole batch is the same at every step: L-BFGS keeps the gradient where a step ended. */
    @Override
    public boolean fixedData() {
        return true;
    }

    /** The current point (a view: do not modify). */
    public float[] parameters() {
        return theta;
    }

    /** Loss or loss-and-gradient evaluations (distributed jobs) so far; curvature products not counted. */
    public long evaluations() {
        return evaluations;
    }

    @Override
    public void close() {
        if (curvature != null) {
            curvature.close();
            curvature = null;
        }
    }
}
