package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;

/** The identity whose derivatives are zero, as JAX's stop_gradient: a value treated as a constant. */
public record StopGradient() implements Op {
    public static Node of(Node x) {
        return x.graph().node(new StopGradient(), x.shape(), x);
    }

    @Override public String name() { return "stop_gradient"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {null}; }
    @Override public Node jvp(Node y, Node[] t) { return null; }
    @Override public Node batched(Node y, Node[] in, boolean[] stacked, int k) { return of(in[0]); }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        System.arraycopy(in[0], 0, out, 0, out.length);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        return Reshape.copyOrAlias(y, b);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 0; }
}
