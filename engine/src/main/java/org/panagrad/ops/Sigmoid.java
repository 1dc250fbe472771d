package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/** The logistic function; sigmoid' = s (1 - s), written with the output s. */
public record Sigmoid() implements ElementwiseUnary {
    public static Node of(Node x) {
        return x.graph().node(new Sigmoid(), x.shape(), x);
    }

    @Override public String name() { return "sigmoid"; }
    @Override public UnaryOp kernel() { return UnaryOp.SIGMOID; }
    @Override public double apply(double x) { return 1.0 / (1.0 + Math.exp(-x)); }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Mul.of(g, slope(y))}; }
    @Override public Node jvp(Node y, Node[] t) { return Mul.of(t[0], slope(y)); }

    private static Node slope(Node y) {
        return Mul.of(y, Sub.of(y.graph().fill(1, y.shape()), y));
    }
}
