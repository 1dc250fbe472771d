package org.panagrad.optim;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An optimizer's state variables, created once per parameter and reused by every training step compiled
 * with the optimizer (say one for full batches and one for the last, smaller batch), so that they all
 * advance the same moments. Slot names follow PyTorch's optimizer state: "0.weight.exp_avg".
 */
final class OptimizerState {
    private final Map<String, Node> slots = new HashMap<>();
    private final List<Node> variables = new ArrayList<>();
    private Node hyper;
    private long steps;

    /** The 0-based number of the step being prepared, counted. */
    long nextStep() {
        return steps++;
    }

    long steps() {
        return steps;
    }

    void setSteps(long steps) {
        if (steps < 0) throw new IllegalArgumentException("a step count cannot be negative: " + steps);
        this.steps = steps;
    }

    Node hyper(Graph g, String name, int size) {
        if (hyper == null) {
            hyper = g.state(name, Shape.of(size));
            variables.add(hyper);
        }
        return hyper;
    }

    Node hyper() {
        if (hyper == null) throw new IllegalStateException("the optimizer was not compiled into a training step yet");
        return hyper;
    }

    Node slot(Node param, String slot) {
        return slots.computeIfAbsent(param.name() + "." + slot, name -> {
            Node s = param.graph().state(name, param.shape());
            variables.add(s);
            return s;
        });
    }

    List<Node> variables() {
        return List.copyOf(variables);
    }
}
