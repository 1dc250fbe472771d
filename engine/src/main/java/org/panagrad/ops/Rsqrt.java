package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/** 1 / sqrt(x), as in normalisation layers; its derivative -x^(-3/2) / 2 is -y / (2x). */
public record Rsqrt() implements ElementwiseUnary {
    public static Node of(Node x) {
        return x.graph().node(new Rsqrt(), x.shape(), x);
    }

    @Override public String name() { return "rsqrt"; }
    @Override public UnaryOp kernel() { return UnaryOp.RSQRT; }
    @Override public double apply(double x) { return 1 / Math.sqrt(x); }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Mul.of(g, slope(y))}; }
    @Override public Node jvp(Node y, Node[] t) { return Mul.of(t[0], slope(y)); }

    private static Node slope(Node y) {
        return Scale.of(Div.of(y, y.input(0)), -0.5);
    }
}
