package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/** Square root; sqrt' = 1 / (2 sqrt x), written with the output. */
public record Sqrt() implements ElementwiseUnary {
    public static Node of(Node x) {
        return x.graph().node(new Sqrt(), x.shape(), x);
    }

    @Override public String name() { return "sqrt"; }
    @Override public UnaryOp kernel() { return UnaryOp.SQRT; }
    @Override public double apply(double x) { return Math.sqrt(x); }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Div.of(Scale.of(g, 0.5), y)}; }
    @Override public Node jvp(Node y, Node[] t) { return Div.of(Scale.of(t[0], 0.5), y); }
}
