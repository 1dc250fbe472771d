package org.panagrad.spark;

import org.panagrad.kernels.AdamHyperparameters;
import org.panagrad.kernels.Updates;

import java.io.Serializable;

/**
 * A first-order update of a flat parameter vector with the engine's fused kernels ({@link Updates}: PyTorch's
 * SGD with momentum, Adam), holding its state (momentum, or Adam's two moments and step count) in flat arrays.
 * The synchronous trainer applies it on the driver to the aggregated gradient; local SGD ships a copy to every
 * replica and averages the replicas' states with their parameters, as Deeplearning4j's parameter averaging does
 * with its updater state.
 */
public final class FlatUpdate implements Serializable {
    private static final long serialVersionUID = 1L;

    public enum Kind { SGD, ADAM }

    private final Kind kind;
    private final float lr, momentum, beta1, beta2, eps;
    final float[] first, second;
    long step;
    /** Adam's constants and per-step schedule, made on first use in each JVM (the record is not serializable). */
    private transient AdamHyperparameters adam;

    private FlatUpdate(Kind kind, int n, double lr, double momentum, double beta1, double beta2, double eps) {
        if (!(lr > 0)) throw new IllegalArgumentException("the learning rate must be positive, got " + lr);
        this.kind = kind;
        this.lr = (float) lr;
        this.momentum = (float) momentum;
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        this.eps = (float) eps;
        this.first = kind == Kind.ADAM || momentum != 0 ? new float[n] : new float[0];
        this.second = kind == Kind.ADAM ? new float[n] : new float[0];
    }

    /** SGD, with heavy-ball momentum unless {@code momentum} is 0. */
    public static FlatUpdate sgd(int n, double lr, double momentum) {
        return new FlatUpdate(Kind.SGD, n, lr, momentum, 0, 0, 0);
    }

    /** Adam with betas (0.9, 0.999) and eps 1e-8, PyTorch's defaults. */
    public static FlatUpdate adam(int n, double lr) {
        return new FlatUpdate(Kind.ADAM, n, lr, 0, 0.9, 0.999, 1e-8);
    }

    /** theta -= update(grad), advancing the state. */
    public void apply(float[] theta, float[] grad) {
        int n = theta.length;
        if (kind == Kind.ADAM) {
            step++;
            if (adam == null) adam = new AdamHyperparameters(beta1, beta2, eps, 0, false, new float[3]);
            adam.schedule()[0] = lr;
            adam.schedule()[1] = (float) (1 - Math.pow(beta1, step));
            adam.schedule()[2] = (float) (1 - Math.pow(beta2, step));
            Updates.adam(n, adam, theta, 0, grad, 0, first, 0, second, 0);
        } else if (momentum != 0) {
            step++;
            Updates.momentum(n, lr, momentum, false, 0, theta, 0, grad, 0, first, 0);
        } else {
            step++;
            Updates.sgd(n, lr, 0, theta, 0, grad, 0);
        }
    }

    /** Floats of state per parameter: 0 (plain SGD), 1 (momentum) or 2 (Adam). */
    int stateVectors() {
        return (first.length > 0 ? 1 : 0) + (second.length > 0 ? 1 : 0);
    }

    /** An independent copy: the same settings and state (momentum, Adam's moments and step count). */
    public FlatUpdate copy() {
        FlatUpdate c = new FlatUpdate(kind, first.length == 0 ? 0 : first.length, lr, momentum, beta1, beta2, eps);
        System.arraycopy(first, 0, c.first, 0, first.length);
        System.arraycopy(second, 0, c.second, 0, second.length);
        c.step = step;
        return c;
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public String toString() {
        return kind == Kind.ADAM ? "adam lr " + lr : momentum != 0 ? "sgd lr " + lr + " momentum " + momentum : "sgd lr " + lr;
    }
}
