package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Axis;

/** Softmax along one axis (the last, for the rows of a [batch, classes] matrix). */
public record Softmax(int axis) implements Op {
    public static Node of(Node x, int axis) {
        if (x.shape().rank() == 0) throw new ShapeException("softmax of " + x.describe() + ": needs at least one axis");
        return x.graph().node(new Softmax(Axes.normalize("softmax", x, axis)), x.shape(), x);
    }

    /** The softmax Jacobian along axis (diag(p) - p p^T for each line) applied to t, for p = softmax(x). Symmetric. */
    static Node jacobianTimes(Node p, Node t, int axis) {
        return Mul.of(p, Sub.of(t, sumAlong(Mul.of(t, p), axis)));
    }

    /** Sum along one axis, kept with length 1 so that it broadcasts back along it. */
    static Node sumAlong(Node x, int axis) {
        return Sum.of(x, 1 << axis, Axes.reduced(x.shape(), 1 << axis, true));
    }

    @Override public String name() { return "softmax"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {jacobianTimes(y, g, axis)}; }
    @Override public Node jvp(Node y, Node[] t) { return jacobianTimes(y, t[0], axis); }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Axis ax = Axes.along(y.shape(), axis);
        forEachLine(ax, (at, stride) -> {
            double lse = logSumExp(in[0], at, ax.length(), stride);
            for (int c = 0; c < ax.length(); c++) out[at + c * stride] = Math.exp(in[0][at + c * stride] - lse);
        });
    }

    /** A float64 loop body for the line of elements at start, start + stride, ... along the axis. */
    interface Line {
        void at(int start, int stride);
    }

    /** Calls line for every position along the other axes. */
    static void forEachLine(Axis ax, Line line) {
        for (int o = 0; o < ax.outer(); o++) {
            for (int j = 0; j < ax.inner(); j++) line.at(o * ax.length() * ax.inner() + j, ax.inner());
        }
    }

    static double logSumExp(double[] x, int at, int n, int stride) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) max = Math.max(max, x[at + c * stride]);
        double s = 0;
        for (int c = 0; c < n; c++) s += Math.exp(x[at + c * stride] - max);
        return max + Math.log(s);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        return compileAlong(y, b, axis, org.panagrad.kernels.Softmax::softmax);
    }

    /** A kernel along one axis of its input, writing a result of the same shape: softmax or log-softmax. */
    interface AlongAxis {
        void apply(Axis axis, float[] x, int xOff, float[] out, int outOff);
    }

    static Instruction compileAlong(Node y, Buffers b, int axis, AlongAxis kernel) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y);
        Axis ax = Axes.along(y.shape(), axis);
        return () -> kernel.apply(ax, xa, xo, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 4L * y.shape().numel(); }
}
