package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.BinaryOp;
import org.panagrad.kernels.Elementwise;

/** What the elementwise binary ops share: broadcasting, the float64 loop and the strided kernel call. */
public interface BroadcastBinary extends Op {
    BinaryOp kernel();

    double apply(double a, double b);

    static Node build(BroadcastBinary op, Node a, Node b) {
        return a.graph().node(op, Broadcast.shape(op.name(), a, b), a, b);
    }

    @Override
    default void reference(Node y, double[][] in, double[] out) {
        Shape s = y.shape(), sa = y.input(0).shape(), sb = y.input(1).shape();
        int ars = Broadcast.rowStride(sa, s), acs = Broadcast.colStride(sa, s);
        int brs = Broadcast.rowStride(sb, s), bcs = Broadcast.colStride(sb, s);
        for (int i = 0; i < s.rows(); i++) {
            for (int j = 0; j < s.cols(); j++) {
                out[i * s.cols() + j] = apply(in[0][i * ars + j * acs], in[1][i * brs + j * bcs]);
            }
        }
    }

    @Override
    default Instruction compile(Node y, Buffers buf) {
        Shape s = y.shape(), sa = y.input(0).shape(), sb = y.input(1).shape();
        Node a = y.input(0), b = y.input(1);
        float[] aa = buf.array(a), ba = buf.array(b), out = buf.array(y);
        int ao = buf.offset(a), bo = buf.offset(b), oo = buf.offset(y);
        int rows = s.rows(), cols = s.cols();
        int ars = Broadcast.rowStride(sa, s), acs = Broadcast.colStride(sa, s);
        int brs = Broadcast.rowStride(sb, s), bcs = Broadcast.colStride(sb, s);
        BinaryOp k = kernel();
        return () -> Elementwise.binary(k, rows, cols, aa, ao, ars, acs, ba, bo, brs, bcs, out, oo);
    }

    @Override
    default int inPlaceInput(Node y) {
        if (y.input(0).shape().numel() == y.shape().numel()) return 0;
        if (y.input(1).shape().numel() == y.shape().numel()) return 1;
        return -1;
    }
}
