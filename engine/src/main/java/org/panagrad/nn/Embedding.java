package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A table of {@code num} vectors of width {@code dim}, looked up by integer ids of any shape, as nn.Embedding
 * (weight [num, dim], drawn from N(0, 1)). An id outside [0, num) fails naming the id, its position and num,
 * before anything is read; its gradient is a scatter-add into the rows looked up.
 */
public record Embedding(String name, Node weight) implements Module {
    public static Embedding create(Graph g, String name, int num, int dim) {
        if (num < 1 || dim < 1) throw new IllegalArgumentException(name + ": an embedding needs num >= 1 and dim >= 1, got " + num + ", " + dim);
        return new Embedding(name, g.parameter(name + ".weight", num, dim));
    }

    @Override
    public Node forward(Node ids, Forward f) {
        return f.record(name, this, ids, Ops.gather(weight, ids));
    }

    @Override
    public List<StateEntry> state() {
        return List.of(StateEntry.same(name + ".weight", weight, true));
    }

    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        Init.normal(store.get(weight), 1, rnd);
    }

    @Override
    public String describe() {
        return "Embedding(" + weight.shape().dim(0) + ", " + weight.shape().dim(1) + ")";
    }
}
