package org.panagrad.optim;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.ops.StepCounter;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;

/**
 * One compiled program that runs forward, backward and the optimizer's fused update. Parameters are updated
 * in place in the store; nothing is copied and, in steady state, nothing is allocated.
 */
public final class TrainingStep {
    private final Program program;
    private final Optimizer optimizer;
    private final Node loss;
    private final List<Node> params;
    private final List<Node> grads;
    private final List<Node> updates;

    private TrainingStep(Program program, Optimizer optimizer, Node loss, List<Node> params, List<Node> grads,
                         List<Node> updates) {
        this.program = program;
        this.optimizer = optimizer;
        this.loss = loss;
        this.params = params;
        this.grads = grads;
        this.updates = updates;
    }

    /**
     * Compiles the step. With {@code keepGradients}, the gradients stay readable after each step (for
     * gradient statistics); otherwise their memory is reused as soon as the update has read them.
     */
    public static TrainingStep compile(ParameterStore store, Node loss, List<Node> params, Optimizer optimizer,
                                       boolean keepGradients) {
        return compile(store, loss, params, optimizer, keepGradients, List.of());
    }

    /**
     * Compiles the step with the state updates a training-mode forward pass collected (batch norm's running
     * statistics, {@code nn.Forward.stateUpdates()}): side effects of this program only, never of the gradient,
     * HVP or evaluation programs compiled over the same graph.
     */
    public static TrainingStep compile(ParameterStore store, Node loss, List<Node> params, Optimizer optimizer,
                                       boolean keepGradients, List<Node> stateUpdates) {
        for (Node u : stateUpdates) {
            if (!u.op().hasSideEffects()) throw new IllegalArgumentException(u.describe() + " is not a state update");
        }
        List<Node> grads = List.of(Autodiff.grad(loss, params.toArray(new Node[0])));
        List<Node> outputs = new ArrayList<>(List.of(loss));
        if (keepGradients) outputs.addAll(grads);
        List<Node> updates = optimizer.updates(params, grads);
        outputs.addAll(updates);
        outputs.addAll(stateUpdates);
        Program program = Compiler.compile(store, outputs);
        return new TrainingStep(program, optimizer, loss, List.copyOf(params), grads, List.copyOf(updates));
    }

    /** Runs one step on the inputs already fed to {@link #program()}, and returns the loss before the update. */
    public float run() {
        optimizer.beforeStep(program.store());
        Node step = StepCounter.find(loss.graph());
        if (step != null) program.store().get(step)[0] = optimizer.stepCount();
        program.run();
        return program.scalar(loss);
    }

    public Program program() {
        return program;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public List<Node> parameters() {
        return params;
    }

    /** Gradient nodes, readable after a step only when compiled with keepGradients. */
    public List<Node> gradients() {
        return grads;
    }

    /** The optimizer's update nodes, one per parameter. */
    public List<Node> updates() {
        return updates;
    }

    public Node loss() {
        return loss;
    }
}
