package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.kernels.Elementwise;

/**
 * x^p for a constant exponent p. Integer exponents work for any x (x^2 is x * x exactly); others need x >= 0
 * and give NaN below, as Math.pow and torch.pow do. d/dx x^p = p x^(p-1), itself a power, so every order of
 * derivative is one more node.
 */
public record Pow(double p) implements Op {
    public static Node of(Node x, double p) {
        return x.graph().node(new Pow(p), x.shape(), x);
    }

    @Override public String name() { return "pow"; }
    // x^0 = 1 has derivative zero everywhere, also at 0, where 0 * 0^-1 would be NaN.
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {p == 0 ? null : Mul.of(g, slope(y))}; }
    @Override public Node jvp(Node y, Node[] t) { return p == 0 ? null : Mul.of(t[0], slope(y)); }

    private Node slope(Node y) {
        return Scale.of(Pow.of(y.input(0), p - 1), p);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        for (int i = 0; i < out.length; i++) out[i] = Math.pow(in[0][i], p);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), n = y.shape().numel();
        float pf = (float) p;
        return () -> Elementwise.pow(n, pf, xa, xo, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
}
