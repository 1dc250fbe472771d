package org.panagrad.optim;

import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;

import java.util.List;

/**
 * A first-order optimizer compiled into the training step: it adds one fused update op per parameter, whose
 * state (moments) lives in the parameter store next to the weights. Hyperparameters that change between
 * steps (learning rate, bias corrections) live in a small state vector that {@link #beforeStep} writes, so
 * that the compiled program never changes.
 */
public interface Optimizer {
    /** The update ops for each parameter and its gradient node, to be compiled with the loss. */
    List<Node> updates(List<Node> params, List<Node> grads);

    /**
     * Prepares the next step: writes its learning rate and corrections into the state, and counts it. Every
     * training step compiled with this optimizer shares the count, as they share the moments.
     */
    void beforeStep(ParameterStore store);

    /** Steps prepared so far. */
    long stepCount();

    /** Continues counting from a given step, e.g. when resuming from a checkpoint. */
    void setStepCount(long steps);

    /** The optimizer's state variables (moments, hyperparameters), e.g. to checkpoint them. */
    List<Node> stateVariables();
}
