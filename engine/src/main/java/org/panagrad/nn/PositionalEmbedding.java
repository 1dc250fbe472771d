package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Learned positional embeddings: a parameter [1, T, E] added to every sequence of a [B, T, E] batch, named as the
 * parameter itself (torchvision's encoder.pos_embedding), drawn from N(0, 0.02^2) as torchvision draws it.
 */
public record PositionalEmbedding(String name, Node weight) implements Module {
    public static PositionalEmbedding create(Graph g, String name, int tokens, int embed) {
        return new PositionalEmbedding(name, g.parameter(name, 1, tokens, embed));
    }

    @Override
    public Node forward(Node x, Forward f) {
        if (x.shape().rank() != 3 || x.shape().dim(1) != weight.shape().dim(1) || x.shape().dim(2) != weight.shape().dim(2)) {
            throw new IllegalArgumentException(name + ": expects [batch, " + weight.shape().dim(1) + ", " + weight.shape().dim(2)
                    + "], got " + x.describe());
        }
        return Ops.add(x, weight);
    }

    @Override
    public List<StateEntry> state() {
        return List.of(StateEntry.same(name, weight, true));
    }

    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        Init.normal(store.get(weight), 0.02, rnd);
    }

    @Override
    public String describe() {
        return "PositionalEmbedding(" + weight.shape().dim(1) + ", " + weight.shape().dim(2) + ")";
    }
}
