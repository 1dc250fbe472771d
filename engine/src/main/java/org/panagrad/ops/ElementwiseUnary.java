package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.kernels.Elementwise;
import org.panagrad.kernels.UnaryOp;

/** What the elementwise unary ops share: the float64 loop, the kernel call and in-place execution. */
interface ElementwiseUnary extends Op {
    UnaryOp kernel();

    double apply(double x);

    @Override
    default Node batched(Node y, Node[] inputs, boolean[] stacked, int k) {
        return y.graph().node(this, inputs[0].shape(), inputs[0]);
    }

    @Override
    default void reference(Node y, double[][] in, double[] out) {
        for (int i = 0; i < out.length; i++) out[i] = apply(in[0][i]);
    }

    @Override
    default Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), n = y.shape().numel();
        UnaryOp k = kernel();
        return () -> Elementwise.unary(k, n, xa, xo, out, oo);
    }

    @Override
    default int inPlaceInput(Node y) {
        return 0;
    }
}
