package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.kernels.Elementwise;

/** c * x for a constant c. */
public record Scale(double c) implements Op {
    public static Node of(Node x, double c) {
        return x.graph().node(new Scale(c), x.shape(), x);
    }

    @Override public String name() { return "scale"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Scale.of(g, c)}; }
    @Override public Node jvp(Node y, Node[] t) { return Scale.of(t[0], c); }
    @Override public Node batched(Node y, Node[] in, boolean[] stacked, int k) { return Scale.of(in[0], c); }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        for (int i = 0; i < out.length; i++) out[i] = c * in[0][i];
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), n = y.shape().numel();
        float cf = (float) c;
        return () -> Elementwise.scale(n, cf, xa, xo, out, oo);
    }

    @Override
    public int inPlaceInput(Node y) {
        return 0;
    }
}
