package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/** Hyperbolic tangent; tanh' = 1 - tanh^2, written with the output. */
public record Tanh() implements ElementwiseUnary {
    public static Node of(Node x) {
        return x.graph().node(new Tanh(), x.shape(), x);
    }

    @Override public String name() { return "tanh"; }
    @Override public UnaryOp kernel() { return UnaryOp.TANH; }
    @Override public double apply(double x) { return Math.tanh(x); }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Mul.of(g, slope(y))}; }
    @Override public Node jvp(Node y, Node[] t) { return Mul.of(t[0], slope(y)); }

    private static Node slope(Node y) {
        return Sub.of(y.graph().fill(1, y.shape()), Mul.of(y, y));
    }
}
