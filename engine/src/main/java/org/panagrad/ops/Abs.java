package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/** |x|; its derivative is sign(x), 0 at 0 as in PyTorch and JAX. */
public record Abs() implements ElementwiseUnary {
    public static Node of(Node x) {
        return x.graph().node(new Abs(), x.shape(), x);
    }

    @Override public String name() { return "abs"; }
    @Override public UnaryOp kernel() { return UnaryOp.ABS; }
    @Override public double apply(double x) { return Math.abs(x); }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Mul.of(g, Sign.of(y.input(0)))}; }
    @Override public Node jvp(Node y, Node[] t) { return Mul.of(t[0], Sign.of(y.input(0))); }
}
