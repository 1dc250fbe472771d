package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/** 1, -1 or 0 by the sign of x (NaN stays NaN). Piecewise constant, so its own derivatives are zero. */
public record Sign() implements ElementwiseUnary {
    public static Node of(Node x) {
        return x.graph().node(new Sign(), x.shape(), x);
    }

    @Override public String name() { return "sign"; }
    @Override public UnaryOp kernel() { return UnaryOp.SIGN; }
    @Override public double apply(double x) { return Math.signum(x); }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {null}; }
    @Override public Node jvp(Node y, Node[] t) { return null; }
}
