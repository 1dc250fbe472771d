package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Softmax;

/** log softmax of each row: x - logsumexp(x), computed stably. */
public record RowLogSoftmax() implements Op {
    public static Node of(Node x) {
        if (x.shape().rank() == 0) throw new ShapeException("log_softmax of " + x.describe() + ": needs a vector or a matrix");
        return x.graph().node(new RowLogSoftmax(), x.shape(), x);
    }

    @Override public String name() { return "log_softmax"; }

    // dy = dx - softmax(x) * rowsum(dx); the transpose is g - softmax(x) * rowsum(g).
    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {Sub.of(g, Mul.of(Exp.of(y), RowSoftmax.rowSums(g)))};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return Sub.of(t[0], RowSoftmax.rowSums(Mul.of(Exp.of(y), t[0])));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int r = y.shape().rows(), c = y.shape().cols();
        for (int i = 0; i < r; i++) {
            double lse = RowSoftmax.logSumExp(in[0], i * c, c);
            for (int j = 0; j < c; j++) out[i * c + j] = in[0][i * c + j] - lse;
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        return RowSoftmax.compileRows(y, b, Softmax::logSoftmax);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 4L * y.shape().numel(); }
}
