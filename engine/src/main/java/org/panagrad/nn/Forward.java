package org.panagrad.nn;

import org.panagrad.graph.Node;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What one forward pass builds besides its output: its mode, the state updates a training step must run
 * (batch norm's running statistics: side effects of the training program only, never of an evaluation or
 * curvature program compiled from the same pass), and the layer calls in the order they were made.
 */
public final class Forward {
    private final Mode mode;
    private final List<Node> stateUpdates = new ArrayList<>();
    private final List<LayerCall> calls = new ArrayList<>();

    private Forward(Mode mode) {
        this.mode = mode;
    }

    /** A pass that trains: batch statistics, dropout on, state updates collected. */
    public static Forward train() {
        return new Forward(Mode.TRAIN);
    }

    /** A pass that evaluates: running statistics, dropout off, no side effects. */
    public static Forward eval() {
        return new Forward(Mode.EVAL);
    }

    public Mode mode() {
        return mode;
    }

    public boolean training() {
        return mode == Mode.TRAIN;
    }

    /** Adds a side-effect node (one whose op writes a state variable) that a training step must run. */
    public void addStateUpdate(Node update) {
        if (!update.op().hasSideEffects()) {
            throw new IllegalArgumentException(update.describe() + " is not a state update: its op has no side effects");
        }
        if (mode != Mode.TRAIN) throw new IllegalStateException("an evaluation pass updates no state: " + update.describe());
        stateUpdates.add(update);
    }

    public List<Node> stateUpdates() {
        return Collections.unmodifiableList(stateUpdates);
    }

    /** Records that a layer read {@code input} and produced {@code output}; returns the output. */
    public Node record(String name, Module layer, Node input, Node output) {
        calls.add(new LayerCall(name, layer, input, output));
        return output;
    }

    public List<LayerCall> layerCalls() {
        return Collections.unmodifiableList(calls);
    }
}
