package org.panagrad.nn;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

/** PyTorch's nn.Flatten(): [N, d1, d2, ...] to [N, d1 * d2 * ...], a view that costs nothing. */
public record Flatten() implements Module {
    @Override
    public Node forward(Node x, Forward f) {
        Shape s = x.shape();
        if (s.rank() < 2) return x;
        return Ops.reshape(x, s.dim(0), s.numel() / s.dim(0));
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
