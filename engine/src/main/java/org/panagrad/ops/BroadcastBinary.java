package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.BinaryOp;
import org.panagrad.kernels.Elementwise;
import org.panagrad.kernels.Strided;

/** What the elementwise binary ops share: broadcasting over any rank, the float64 loop and the strided kernel call. */
public interface BroadcastBinary extends Op {
    BinaryOp kernel();

    double apply(double a, double b);

    static Node build(BroadcastBinary op, Node a, Node b) {
        return a.graph().node(op, Broadcast.shape(op.name(), a, b), a, b);
    }

    @Override
    default Node batched(Node y, Node[] inputs, boolean[] stacked, int k) {
        Node[] in = Broadcast.stackedOperands(inputs, stacked, y.shape().rank());
        return build(this, in[0], in[1]);
    }

    /**
     * n (a broadcasting binary op) reading an operand that was expanded to n's shape as the operand before
     * the expansion, where broadcasting reads the same elements: saves a pass, and lets a bias add fuse into
     * its GEMM (JVPs of bias adds produce these). n itself when there is none.
     */
    static Node readUnexpanded(Node n) {
        Node[] ins = {n.input(0), n.input(1)};
        boolean changed = false;
        for (int i = 0; i < 2; i++) {
            if (!(ins[i].op() instanceof Expand) || !ins[i].shape().equals(n.shape())) continue;
            Node small = ins[i].input(0), other = ins[1 - i];
            Shape out = n.shape();
            boolean sameElements = Broadcast.broadcastsTo(small.shape(), out)
                    && Broadcast.axes(small.shape(), out) == ((Expand) ins[i].op()).axes();
            if (sameElements && Broadcast.shape(n.op().name(), small, other).equals(out)) {
                ins[i] = small;
                changed = true;
            }
        }
        return changed ? n.graph().node(n.op(), n.shape(), n.dtype(), ins) : n;
    }

    @Override
    default void reference(Node y, double[][] in, double[] out) {
        Shape s = y.shape();
        int[] ia = Broadcast.index(y.input(0).shape(), s), ib = Broadcast.index(y.input(1).shape(), s);
        for (int i = 0; i < out.length; i++) out[i] = apply(in[0][ia[i]], in[1][ib[i]]);
    }

    @Override
    default Instruction compile(Node y, Buffers buf) {
        Node a = y.input(0), b = y.input(1);
        float[] aa = buf.array(a), ba = buf.array(b), out = buf.array(y);
        int ao = buf.offset(a), bo = buf.offset(b), oo = buf.offset(y);
        Strided s = Broadcast.layout(y.shape(), a.shape(), b.shape());
        BinaryOp k = kernel();
        return () -> Elementwise.binary(k, s, aa, ao, ba, bo, out, oo);
    }

    @Override
    default int inPlaceInput(Node y) {
        if (y.input(0).shape().numel() == y.shape().numel()) return 0;
        if (y.input(1).shape().numel() == y.shape().numel()) return 1;
        return -1;
    }
}
