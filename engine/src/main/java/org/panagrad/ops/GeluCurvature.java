package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/**
 * The exact GELU's second derivative, phi(x) (2 - x^2), as one elementwise pass (what an HVP through a GELU reads).
 * Its derivative, phi(x) x (x^2 - 4), is graph ops, so every order stays exact.
 */
public record GeluCurvature() implements ElementwiseUnary {
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    public static Node of(Node x) {
        return x.graph().node(new GeluCurvature(), x.shape(), x);
    }

    @Override public String name() { return "gelu_curvature"; }
    @Override public UnaryOp kernel() { return UnaryOp.GELU_CURVATURE; }
    @Override public double apply(double x) { return INV_SQRT_2PI * Math.exp(-0.5 * x * x) * (2 - x * x); }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Mul.of(g, slope(y.input(0)))}; }
    @Override public Node jvp(Node y, Node[] t) { return Mul.of(t[0], slope(y.input(0))); }

    private static Node slope(Node x) {
        Node square = Mul.of(x, x);
        Node density = Scale.of(Exp.of(Scale.of(square, -0.5)), INV_SQRT_2PI);
        return Mul.of(density, Mul.of(x, Sub.of(square, x.graph().fill(4, x.shape()))));
    }

    @Override public long flops(Node y) { return 10L * y.shape().numel(); }
}
