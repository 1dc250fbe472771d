package org.panagrad.nn;

import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;

/** PyTorch's nn.Flatten(): [N, d1, d2, ...] to [N, d1 * d2 * ...], a view that costs nothing. */
public record Flatten() implements StatelessModule {
    @Override
    public Node forward(Node x, Forward f) {
        return x.shape().rank() < 2 ? x : Ops.flatten(x, 1);
    }

    @Override
    public String describe() {
        return "Flatten(start_dim=1, end_dim=-1)";
    }
}
