package org.panagrad.spark;

import org.panagrad.kernels.AdamHyperparameters;
import org.panagrad.io.TensorData;
import org.panagrad.kernels.Updates;
import org.panagrad.optim.secondorder.OptimizerSnapshot;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    private final int n;
    private final float lr, momentum, beta1, beta2, eps;
    final float[] first, second;
    long step;
    /** Adam's constants and per-step schedule, made on first use in each JVM (the record is not serializable). */
    private transient AdamHyperparameters adam;

    private FlatUpdate(Kind kind, int n, double lr, double momentum, double beta1, double beta2, double eps) {
        if (!(lr > 0)) throw new IllegalArgumentException("the learning rate must be positive, got " + lr);
        this.kind = kind;
        this.n = n;
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
        FlatUpdate c = new FlatUpdate(kind, n, lr, momentum, beta1, beta2, eps);
        System.arraycopy(first, 0, c.first, 0, first.length);
        System.arraycopy(second, 0, c.second, 0, second.length);
        c.step = step;
        return c;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * The whole state as the engine's optimizer snapshot: the settings and the step count as exact scalars, the
     * momentum (PyTorch's momentum_buffer) or Adam's moments (exp_avg, exp_avg_sq) as tensors of the parameters'
     * length. {@link #restore} makes an update that continues bit for bit where this one stands.
     */
    public OptimizerSnapshot snapshot() {
        List<TensorData> tensors = new ArrayList<>();
        if (first.length > 0) tensors.add(new TensorData(kind == Kind.ADAM ? EXP_AVG : MOMENTUM_BUFFER, new int[] {first.length}, first.clone()));
        if (second.length > 0) tensors.add(new TensorData(EXP_AVG_SQ, new int[] {second.length}, second.clone()));
        Map<String, String> scalars = new LinkedHashMap<>();
        scalars.put(STEP, Long.toString(step));
        scalars.put("lr", Float.toString(lr));
        if (kind == Kind.ADAM) {
            scalars.put("beta1", Float.toString(beta1));
            scalars.put("beta2", Float.toString(beta2));
            scalars.put("eps", Float.toString(eps));
        } else {
            scalars.put("momentum", Float.toString(momentum));
        }
        return new OptimizerSnapshot(name(), tensors, scalars);
    }

    /**
     * The update a {@link #snapshot} describes, for {@code n} parameters; a snapshot of another optimizer, another
     * parameter count or other settings than {@code expected}'s fails naming what differs.
     */
    public static FlatUpdate restore(OptimizerSnapshot state, FlatUpdate expected) {
        int n = expected.n;
        state.requireOptimizer(expected.name());
        FlatUpdate u = expected.kind == Kind.ADAM ? adam(n, state.doubleScalar("lr")) : sgd(n, state.doubleScalar("lr"),
                state.doubleScalar("momentum"));
        if (expected.kind == Kind.ADAM) {
            state.requireTensorNames(EXP_AVG, EXP_AVG_SQ);
            System.arraycopy(state.tensor(EXP_AVG, n), 0, u.first, 0, n);
            System.arraycopy(state.tensor(EXP_AVG_SQ, n), 0, u.second, 0, n);
            if ((float) state.doubleScalar("beta1") != u.beta1 || (float) state.doubleScalar("beta2") != u.beta2
                    || (float) state.doubleScalar("eps") != u.eps) { // written from floats by Float.toString: exact
                throw new IllegalArgumentException("adam state: betas and eps " + state.scalars() + " differ from this Adam's (" + u.beta1
                        + ", " + u.beta2 + ", " + u.eps + ")");
            }
        } else if (u.first.length > 0) {
            state.requireTensorNames(MOMENTUM_BUFFER);
            System.arraycopy(state.tensor(MOMENTUM_BUFFER, n), 0, u.first, 0, n);
        } else {
            state.requireTensorNames();
        }
        if (u.lr != expected.lr || u.momentum != expected.momentum) {
            throw new IllegalArgumentException(u.name() + " state: saved with " + u + ", resumed with " + expected
                    + " (pass the same --lr and --momentum)");
        }
        u.step = state.countScalar(STEP);
        return u;
    }

    /** PyTorch's name for the optimizer: "sgd" or "adam". */
    public String name() {
        return kind == Kind.ADAM ? "adam" : "sgd";
    }

    /** Updates applied so far. */
    public long steps() {
        return step;
    }

    private static final String STEP = "step", MOMENTUM_BUFFER = "momentum_buffer", EXP_AVG = "exp_avg", EXP_AVG_SQ = "exp_avg_sq";

    @Override
    public String toString() {
        return kind == Kind.ADAM ? "adam lr " + lr : momentum != 0 ? "sgd lr " + lr + " momentum " + momentum : "sgd lr " + lr;
    }
}
