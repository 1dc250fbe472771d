package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/** e^x; its derivative is itself. */
public record Exp() implements ElementwiseUnary {
    public static Node of(Node x) {
        return x.graph().node(new Exp(), x.shape(), x);
    }

    @Override public String name() { return "exp"; }
    @Override public UnaryOp kernel() { return UnaryOp.EXP; }
    @Override public double apply(double x) { return Math.exp(x); }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Mul.of(g, y)}; }
    @Override public Node jvp(Node y, Node[] t) { return Mul.of(t[0], y); }
}
