package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.UnaryOp;

/**
 * The Gaussian error linear unit, x Phi(x), exact (erf) or in the tanh form
 * x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2, as torch.nn.functional.gelu(x, approximate="none"|"tanh").
 * The exact form's derivatives are {@link GeluSlope} and {@link GeluCurvature} (one pass each), the tanh form's
 * graph ops through tanh; either way the Hessian through a GELU is exact.
 */
public record Gelu(boolean tanhForm) implements ElementwiseUnary {
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double K = Math.sqrt(2 / Math.PI), C = 0.044715;

    public static Node of(Node x, boolean tanhForm) {
        return x.graph().node(new Gelu(tanhForm), x.shape(), x);
    }

    @Override public String name() { return tanhForm ? "gelu_tanh" : "gelu"; }
    @Override public UnaryOp kernel() { return tanhForm ? UnaryOp.GELU_TANH : UnaryOp.GELU; }

    @Override
    public double apply(double x) {
        return tanhForm ? x / (1 + Math.exp(-2 * K * (x + C * x * x * x))) // x (1 + tanh u) / 2 without cancelling
                : 0.5 * x * org.apache.commons.math3.special.Erf.erfc(-x * SQRT_HALF);
    }

    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Mul.of(g, slope(y.input(0)))}; }
    @Override public Node jvp(Node y, Node[] t) { return Mul.of(t[0], slope(y.input(0))); }

    /** dy/dx: Phi(x) + x phi(x) (one op), or (1 + t)/2 + x (1 - t^2) u'(x) / 2 with t = tanh(u) in the tanh form. */
    private Node slope(Node x) {
        if (!tanhForm) return GeluSlope.of(x);
        Node x2 = Mul.of(x, x);
        Node t = Tanh.of(Scale.of(Mul.of(x, add1(Scale.of(x2, C))), K));
        Node du = Scale.of(add1(Scale.of(x2, 3 * C)), K);
        Node sech2 = Sub.of(x.graph().fill(1, x.shape()), Mul.of(t, t));
        return Add.of(Scale.of(add1(t), 0.5), Scale.of(Mul.of(x, Mul.of(sech2, du)), 0.5));
    }

    private static Node add1(Node x) {
        return Add.of(x, x.graph().fill(1, x.shape()));
    }

    @Override public long flops(Node y) { return 20L * y.shape().numel(); }
}
