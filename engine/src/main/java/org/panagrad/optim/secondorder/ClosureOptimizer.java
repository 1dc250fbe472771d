package org.panagrad.optim.secondorder;

import org.panagrad.runtime.Program;

import java.util.List;

/**
 * An optimizer that evaluates the model several times per step (line searches, conjugate gradient, Hessian
 * probes), as torch.optim.LBFGS does through its closure. Shapes are static, so instead of a closure that
 * recomputes the loss, the optimizer owns compiled programs over the model; the caller feeds the step's batch
 * into them, and the optimizer runs them as often as it needs. Parameters are updated in place in the store.
 */
public interface ClosureOptimizer {
    /** The compiled programs this optimizer runs: feed them the step's data before {@link #step()}. */
    List<Program> programs();

    /** One step on the data already fed; returns the minibatch loss at the parameters before the step. */
    float step();

    /** Feeds every program with {@code feeder}, then steps: {@code opt.step(p -> { p.set(x, ...); ... })}. */
    default float step(BatchFeeder feeder) {
        List<Program> ps = programs();
        for (int i = 0; i < ps.size(); i++) feeder.feed(ps.get(i));
        return step();
    }

    /** Steps taken so far. */
    long stepCount();

    /** The kind of optimizer ("newton-cg", "adahessian", "lbfgs"), which its snapshots carry. */
    String name();

    /**
     * A copy of everything the next steps depend on besides the parameters and the options: an optimizer of
     * the same kind and options over the same parameters, {@link #restore restored} from it, takes
     * bit-identical steps from there.
     */
    OptimizerSnapshot snapshot();

    /**
     * Continues from a snapshot of an optimizer of the same kind over parameters of the same size. Everything
     * is checked before anything changes: a snapshot of another kind, with a missing or unexpected tensor, or
     * a tensor of the wrong shape is rejected with an {@link IllegalArgumentException} that names it.
     */
    void restore(OptimizerSnapshot state);
}
