package org.panagrad.nn;

import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

/** PyTorch's nn.Flatten(): [N, d1, d2, ...] to [N, d1 * d2 * ...], a view that costs nothing. */
public record Flatten() implements Module {
    @Override
    public Node forward(Node x, Forward f) {
        return x.shape().rank() < 2 ? x : Ops.flatten(x, 1);
    }

    @Override
    public List<StateEntry> state() {
        return List.of();
    }

    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {}

    @Override
    public String describe() {
        return "Flatten(start_dim=1, end_dim=-1)";
    }
}
