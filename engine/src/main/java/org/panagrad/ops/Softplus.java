package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/** log(1 + e^x), computed without overflow or cancellation; its derivative is sigmoid(x). */
public record Softplus() implements ElementwiseUnary {
    public static Node of(Node x) {
        return x.graph().node(new Softplus(), x.shape(), x);
    }

    @Override public String name() { return "softplus"; }
    @Override public UnaryOp kernel() { return UnaryOp.SOFTPLUS; }
    @Override public double apply(double x) { return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))); }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Mul.of(g, Sigmoid.of(y.input(0)))}; }
    @Override public Node jvp(Node y, Node[] t) { return Mul.of(t[0], Sigmoid.of(y.input(0))); }
}
