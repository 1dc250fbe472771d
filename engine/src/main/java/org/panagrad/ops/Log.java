package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/** Natural logarithm. */
public record Log() implements ElementwiseUnary {
    public static Node of(Node x) {
        return x.graph().node(new Log(), x.shape(), x);
    }

    @Override public String name() { return "log"; }
    @Override public UnaryOp kernel() { return UnaryOp.LOG; }
    @Override public double apply(double x) { return Math.log(x); }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Div.of(g, y.input(0))}; }
    @Override public Node jvp(Node y, Node[] t) { return Div.of(t[0], y.input(0)); }
}
