package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Softmax;

/** Softmax of each row (over the last axis). */
public record RowSoftmax() implements Op {
    public static Node of(Node x) {
        if (x.shape().rank() == 0) throw new ShapeException("softmax of " + x.describe() + ": needs a vector or a matrix");
        return x.graph().node(new RowSoftmax(), x.shape(), x);
    }

    /** The softmax Jacobian (diag(p) - p p^T, row by row) applied to t, for p = softmax(x). Symmetric. */
    public static Node jacobianTimes(Node p, Node t) {
        return Mul.of(p, Sub.of(t, rowSums(Mul.of(t, p))));
    }

    /** Sum of each row, kept as a column so that it broadcasts back over the row. */
    static Node rowSums(Node x) {
        Shape s = x.shape();
        return Sum.of(x, false, true, s.rank() == 2 ? Shape.of(s.dim(0), 1) : Shape.of(1));
    }

    @Override public String name() { return "softmax"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {jacobianTimes(y, g)}; }
    @Override public Node jvp(Node y, Node[] t) { return jacobianTimes(y, t[0]); }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int r = y.shape().rows(), c = y.shape().cols();
        for (int i = 0; i < r; i++) {
            double lse = logSumExp(in[0], i * c, c);
            for (int j = 0; j < c; j++) out[i * c + j] = Math.exp(in[0][i * c + j] - lse);
        }
    }

    static double logSumExp(double[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, x[off + j]);
        double s = 0;
        for (int j = 0; j < n; j++) s += Math.exp(x[off + j] - max);
        return max + Math.log(s);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        return compileRows(y, b, Softmax::softmax);
    }

    /** A kernel applied to each row of a matrix: softmax or log-softmax. */
    interface RowKernel {
        void apply(int rows, int cols, float[] x, int xOff, float[] out, int outOff);
    }

    static Instruction compileRows(Node y, Buffers b, RowKernel kernel) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), r = y.shape().rows(), c = y.shape().cols();
        return () -> kernel.apply(r, c, xa, xo, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 4L * y.shape().numel(); }
}
