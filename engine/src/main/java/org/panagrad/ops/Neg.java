package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/** -x. */
public record Neg() implements ElementwiseUnary {
    public static Node of(Node x) {
        return x.graph().node(new Neg(), x.shape(), x);
    }

    @Override public String name() { return "neg"; }
    @Override public UnaryOp kernel() { return UnaryOp.NEG; }
    @Override public double apply(double x) { return -x; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Neg.of(g)}; }
    @Override public Node jvp(Node y, Node[] t) { return Neg.of(t[0]); }
}
