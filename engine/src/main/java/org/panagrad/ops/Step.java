package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.kernels.Elementwise;

/**
 * The mask 1 where x > 0, {@code atZero} where x == 0, 0 elsewhere: the derivative of relu (atZero = 0) and of
 * maximum (atZero = 1/2). Piecewise constant, so its own derivatives are zero.
 */
public record Step(double atZero) implements Op {
    public static Node of(Node x, double atZero) {
        return x.graph().node(new Step(atZero), x.shape(), x);
    }

    @Override public String name() { return "step"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {null}; }
    @Override public Node jvp(Node y, Node[] t) { return null; }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        for (int i = 0; i < out.length; i++) {
            double v = in[0][i];
            out[i] = v > 0 ? 1 : v == 0 ? atZero : 0;
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), n = y.shape().numel();
        float z = (float) atZero;
        return () -> Elementwise.step(n, z, xa, xo, out, oo);
    }

    @Override
    public int inPlaceInput(Node y) {
        return 0;
    }
}
