package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/**
 * max(x, 0). The derivative mask is taken from the output (y > 0 exactly where x > 0), as PyTorch does, so the
 * pre-activation need not stay alive for the backward pass; relu'(0) = 0.
 */
public record Relu() implements ElementwiseUnary {
    public static Node of(Node x) {
        return x.graph().node(new Relu(), x.shape(), x);
    }

    @Override public String name() { return "relu"; }
    @Override public UnaryOp kernel() { return UnaryOp.RELU; }
    @Override public double apply(double x) { return x > 0 ? x : 0; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Mul.of(g, Step.of(y, 0))}; }
    @Override public Node jvp(Node y, Node[] t) { return Mul.of(t[0], Step.of(y, 0)); }
}
