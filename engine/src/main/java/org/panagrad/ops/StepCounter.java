package org.panagrad.ops;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;

/**
 * The training step number that per-step randomness (dropout masks) is keyed on: one state variable per graph,
 * named {@value #NAME}, in the parameter store that every program over the graph shares. The trainer writes it
 * before each step ({@code TrainingStep} writes its optimizer's step count; closure optimizers' callers write
 * their own); every program run at that step, the training step, a gradient, an HVP, reads the same value and
 * so draws the same masks. Held in a float: exact for 2^24 (16.7 million) steps.
 */
public final class StepCounter {
    private StepCounter() {}

    public static final String NAME = "step";

    /** The graph's step counter, created on first use. */
    public static Node of(Graph g) {
        Node step = find(g);
        return step != null ? step : g.state(NAME, Shape.scalar());
    }

    /** The graph's step counter, or null when nothing in the graph reads one. */
    public static Node find(Graph g) {
        return g.leaf(NAME);
    }
}
