package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.ops.StepCounter;

/**
 * PyTorch's nn.Dropout(p): inverted dropout in training passes, the identity in evaluation passes. The mask is a
 * pure function of (seed, step, element), with the graph's {@link StepCounter} as the step, so a gradient and an
 * HVP at one step see one mask; the seed is drawn from the layer's name, so two layers differ and a model built
 * twice drops the same elements.
 */
public record Dropout(String name, double p, long seed, Node step) implements StatelessModule {
    public static Dropout create(Graph g, String name, double p) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout " + name + ": p must be in [0, 1), got " + p);
        return new Dropout(name, p, seedOf(name), StepCounter.of(g));
    }

    /** A mask seed drawn from a module's name: two modules drop differently, a model built twice the same. */
    static long seedOf(String name) {
        return name.hashCode() * 0x9E3779B97F4A7C15L;
    }

    @Override
    public Node forward(Node x, Forward f) {
        return f.training() && p > 0 ? Ops.dropout(x, step, p, seed) : x;
    }

    @Override
    public String describe() {
        return "Dropout(p=" + p + ", inplace=False)";
    }
}
