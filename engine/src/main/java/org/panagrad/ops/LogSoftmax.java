package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Axis;

/** log softmax along one axis: x - logsumexp(x), computed stably. */
public record LogSoftmax(int axis) implements Op {
    public static Node of(Node x, int axis) {
        if (x.shape().rank() == 0) throw new ShapeException("log_softmax of " + x.describe() + ": needs at least one axis");
        return x.graph().node(new LogSoftmax(Axes.normalize("log_softmax", x, axis)), x.shape(), x);
    }

    @Override public String name() { return "log_softmax"; }

    // dy = dx - softmax(x) * sum(dx); the transpose is g - softmax(x) * sum(g), sums along the axis.
    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {Sub.of(g, Mul.of(Exp.of(y), Softmax.sumAlong(g, axis)))};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return Sub.of(t[0], Softmax.sumAlong(Mul.of(Exp.of(y), t[0]), axis));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Axis ax = Axes.along(y.shape(), axis);
        Softmax.forEachLine(ax, (at, stride) -> {
            double lse = Softmax.logSumExp(in[0], at, ax.length(), stride);
            for (int c = 0; c < ax.length(); c++) out[at + c * stride] = in[0][at + c * stride] - lse;
        });
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        return Softmax.compileAlong(y, b, axis, org.panagrad.kernels.Softmax::logSoftmax);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 4L * y.shape().numel(); }
}
