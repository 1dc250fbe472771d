package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/** The error function; erf'(x) = 2/sqrt(pi) e^(-x^2), written with graph ops so it differentiates again. */
public record Erf() implements ElementwiseUnary {
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    public static Node of(Node x) {
        return x.graph().node(new Erf(), x.shape(), x);
    }

    @Override public String name() { return "erf"; }
    @Override public UnaryOp kernel() { return UnaryOp.ERF; }
    @Override public double apply(double x) { return org.apache.commons.math3.special.Erf.erf(x); }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Mul.of(g, slope(y.input(0)))}; }
    @Override public Node jvp(Node y, Node[] t) { return Mul.of(t[0], slope(y.input(0))); }

    private static Node slope(Node x) {
        return Scale.of(Exp.of(Neg.of(Mul.of(x, x))), TWO_OVER_SQRT_PI);
    }
}
