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
 *
 * <p>After each {@link #run} the step says whether it stayed finite ({@link #status}): it reads the loss and
 * the norm each fused update accumulated over the gradient it consumed, in the same pass (a few scalar reads;
 * no extra pass over memory). A non-finite step has already written the parameters and optimizer state: stop,
 * or restore them from a copy taken before it (as the demo's {@code --on-nonfinite skip} does).
 */
public final class TrainingStep {
    /** How the last step went. */
    public enum Status {
        /** The loss and every gradient the updates read were finite. */
        FINITE,
        /** The loss was NaN or infinite (the gradients then are too, or meaningless). */
        NONFINITE_LOSS,
        /** The loss was finite but a gradient held NaN or infinity (or had a norm beyond float's range). */
        NONFINITE_GRADIENT
    }

    private final Program program;
    private final Optimizer optimizer;
    private final Node loss;
    private final List<Node> params;
    private final List<Node> grads;
    private final List<Node> updates;
    private final Node[] measured;
    /** Whether every update's output is its gradient's norm (no update reads something else). */
    private final boolean exactNorm;
    private float lastLoss = Float.NaN;
    private double gradientNorm = Double.NaN;
    private Status status = Status.FINITE;

    private TrainingStep(Program program, Optimizer optimizer, Node loss, List<Node> params, List<Node> grads,
                         List<Node> updates) {
        this.program = program;
        this.optimizer = optimizer;
        this.loss = loss;
        this.params = params;
        this.grads = grads;
        this.updates = updates;
        List<Node> read = new ArrayList<>();
        boolean exact = true;
        for (Node u : updates) {
            UpdateOp.Measured m = program.sourceOf(u).op() instanceof UpdateOp op ? op.measures()
                    : UpdateOp.Measured.NOTHING;
            if (m != UpdateOp.Measured.NOTHING) read.add(u);
            exact &= m == UpdateOp.Measured.GRADIENT_NORM;
        }
        this.measured = read.toArray(new Node[0]);
        this.exactNorm = exact;
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
        return compile(store, loss, params, List.of(Autodiff.grad(loss, params.toArray(new Node[0]))), optimizer,
                keepGradients, stateUpdates);
    }

    /**
     * Compiles a step that updates with the given gradient nodes instead of the loss's own gradient: a
     * clipped and noised gradient (DP-SGD), for instance. {@code grads} match {@code params} in order and shape;
     * {@code stateUpdates} are as above.
     */
    public static TrainingStep compile(ParameterStore store, Node loss, List<Node> params, List<Node> grads,
                                       Optimizer optimizer, boolean keepGradients, List<Node> stateUpdates) {
        for (Node u : stateUpdates) {
            if (!u.op().hasSideEffects()) throw new IllegalArgumentException(u.describe() + " is not a state update");
        }
        if (grads.size() != params.size()) {
            throw new IllegalArgumentException(params.size() + " parameters but " + grads.size() + " gradients");
        }
        for (int i = 0; i < grads.size(); i++) {
            if (!grads.get(i).shape().equals(params.get(i).shape())) {
                throw new IllegalArgumentException("gradient " + grads.get(i).describe() + " must have the shape of "
                        + params.get(i).describe());
            }
        }
        List<Node> outputs = new ArrayList<>(List.of(loss));
        if (keepGradients) outputs.addAll(grads);
        List<Node> updates = optimizer.updates(params, grads);
        outputs.addAll(updates);
        outputs.addAll(stateUpdates);
        Program program = Compiler.compile(store, outputs);
        return new TrainingStep(program, optimizer, loss, List.copyOf(params), grads, List.copyOf(updates));
    }

    /**
     * Runs one step on the inputs already fed to {@link #program()}, and returns the loss before the update;
     * {@link #status()} then says whether the step stayed finite.
     */
    public float run() {
        optimizer.beforeStep(program.store());
        Node step = StepCounter.find(loss.graph());
        if (step != null) program.store().get(step)[0] = optimizer.stepCount();
        program.run();
        float l = program.scalar(loss);
        double squares = 0;
        for (Node u : measured) {
            double norm = program.scalar(u);
            squares += norm * norm;
        }
        lastLoss = l;
        gradientNorm = exactNorm ? Math.sqrt(squares) : Double.NaN;
        status = !Float.isFinite(l) ? Status.NONFINITE_LOSS
                : Double.isFinite(squares) ? Status.FINITE : Status.NONFINITE_GRADIENT;
        return l;
    }

    /** Whether the last {@link #run} stayed finite, and if not, where it first went wrong. */
    public Status status() {
        return status;
    }

    /**
     * After a step whose status is {@link Status#NONFINITE_GRADIENT}: the first parameter (in compile order) whose
     * update read a non-finite value, or null. For messages; looks the values up again.
     */
    public Node nonFiniteParameter() {
        for (Node u : measured) {
            if (!Float.isFinite(program.scalar(u))) return u.input(0);
        }
        return null;
    }

    /** The norm the update of {@code parameter} accumulated in the last run (see {@link #gradientNorm}). */
    public float normReadBy(Node parameter) {
        for (Node u : updates) {
            if (u.input(0) == parameter) return program.scalar(u);
        }
        throw new IllegalArgumentException(parameter.describe() + " is not a parameter of this step");
    }

    /** The loss of the last {@link #run}. */
    public float lastLoss() {
        return lastLoss;
    }

    /**
     * The L2 norm of all the gradients of the last {@link #run}, from the fused updates' own pass. NaN when an
     * update took in the GEMM of its weight gradient, which then is never stored (compile with
     * {@code keepGradients} for the exact norm): {@link #status} is still exact for a momentum update fused
     * that way (a finite buffer plus a non-finite gradient is non-finite), while a plain SGD update fused that
     * way is checked only through the rest of the step (its layer's bias gradient sums the same incoming
     * gradient, and the next step's loss reads the weight).
     */
    public double gradientNorm() {
        return gradientNorm;
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
