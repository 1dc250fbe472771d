package org.panagrad.optim.secondorder;

import org.panagrad.analysis.LinearOperator;

/**
 * What L-BFGS and Newton-CG minimise: a loss of a flat parameter vector, seen through a current point that
 * the optimizer moves, with its gradient and its curvature there (Gauss-Newton or Hessian products). The
 * engine's compiled programs over a parameter store are one ({@link Lbfgs#create}, {@link NewtonCg#create}: the
 * point is the store's parameters, the data whatever minibatch was fed); a data set spread over a cluster is
 * another (panagrad-spark drives the same optimizers with distributed products).
 */
public interface SmoothFunction {
    /** The number of parameters. */
    int dimension();

    /** Copies the current point into {@code theta}. */
    void read(float[] theta);

    /** Moves the current point to {@code theta}. */
    void write(float[] theta);

    /** Moves the current point by {@code alpha d}. */
    void addScaled(float alpha, float[] d);

    /** The loss at the current point; writes its gradient into {@code gradient}. */
    double valueAndGradient(float[] gradient);

    /** The loss at the current point. */
    double value();

    /**
     * The curvature at the current point, as products: valid until the point moves or the function is
     * evaluated again. Only Newton-CG asks for it.
     */
    LinearOperator curvature();

    /**
     * Whether the data stays the same from step to step (a whole data set, a fixed sample), so that a value
     * and gradient computed at the end of a step hold at the start of the next; false for minibatches fed
     * between steps.
     */
    default boolean fixedData() {
        return false;
    }
}
