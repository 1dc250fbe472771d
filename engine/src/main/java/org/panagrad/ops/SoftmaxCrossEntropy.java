package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.DType;
import org.panagrad.graph.Input;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Axis;


/**
 * Cross-entropy of softmax(logits) along the class axis against integer labels, averaged over the labelled
 * positions, as PyTorch's cross_entropy: logits [N, C, d1, ...] against labels [N, d1, ...] (class axis 1), or
 * [C] against a scalar label; any other class axis may be named. Positions whose label is the labels' ignore
 * index ({@link org.panagrad.graph.Graph#labelsIgnoring}) do not count. One fused op forward; its gradient is
 * the fused {@link SoftmaxCrossEntropyGrad}, which carries the exact second-order rule.
 */
public record SoftmaxCrossEntropy(int classAxis) implements Op, KnownHessianLoss {
    private static final String NAME = "softmax_cross_entropy";

    /** PyTorch's convention: classes along axis 1 (axis 0 for a single vector of logits). */
    public static Node of(Node logits, Node labels) {
        return of(logits, labels, logits.shape().rank() == 1 ? 0 : 1);
    }

    public static Node of(Node logits, Node labels, int classAxis) {
        int axis = checkLabels(NAME, logits, labels, classAxis);
        return logits.graph().node(new SoftmaxCrossEntropy(axis), Shape.scalar(), logits, labels);
    }

    /** The class axis, after checking labels against logits: integer labels of the logits' shape without it, as many classes. */
    static int checkLabels(String op, Node logits, Node labels, int classAxis) {
        if (logits.shape().rank() == 0) throw ShapeException.of(op, logits, labels, "the logits need a class axis");
        int axis = Axes.normalize(op, logits, classAxis);
        if (labels.dtype() != DType.LABELS) throw ShapeException.of(op, logits, labels, "the second operand must be labels");
        Shape expected = Axes.reduced(logits.shape(), 1 << axis, false);
        if (!labels.shape().equals(expected)) {
            throw ShapeException.of(op, logits, labels, "the labels must have the logits' shape without the class axis "
                    + axis + ", " + expected);
        }
        int classes = labels.op() instanceof Input ? Input.classesOf(labels) : 0;
        if (classes != logits.shape().dim(axis)) {
            throw ShapeException.of(op, logits, labels, "labels have " + classes + " classes but the logits "
                    + logits.shape().dim(axis) + " along axis " + axis);
        }
        return axis;
    }

    /** The label value whose positions do not count, or one that labels never hold. */
    static int ignoreIndex(Node labels) {
        return Input.ignoreIndexOf(labels).orElse(Integer.MIN_VALUE);
    }

    @Override public String name() { return NAME; }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {Mul.of(g, SoftmaxCrossEntropyGrad.of(y.input(0), y.input(1), classAxis)), null};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        if (t[0] == null) return null;
        return Sum.all(Mul.of(SoftmaxCrossEntropyGrad.of(y.input(0), y.input(1), classAxis), t[0]));
    }

    @Override
    public Node hessianTimes(Node loss, Node u) {
        return SoftmaxCrossEntropyGrad.hessianTimes(loss.input(0), loss.input(1), classAxis, u);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Axis ax = Axes.along(y.input(0).shape(), classAxis);
        int ignore = ignoreIndex(y.input(1)), n = ax.length(), inner = ax.inner(), count = 0;
        double total = 0;
        for (int o = 0; o < ax.outer(); o++) {
            for (int j = 0; j < inner; j++) {
                int label = (int) in[1][o * inner + j], at = o * n * inner + j;
                if (label == ignore) continue;
                total += Softmax.logSumExp(in[0], at, n, inner) - in[0][at + label * inner];
                count++;
            }
        }
        out[0] = total / count;
    }

    @Override
    public Instruction compile(Node y, Buffers buf) {
        Node z = y.input(0), labels = y.input(1);
        float[] za = buf.array(z), la = buf.array(labels), out = buf.array(y);
        int zo = buf.offset(z), lo = buf.offset(labels), oo = buf.offset(y), ignore = ignoreIndex(labels);
        Axis ax = Axes.along(z.shape(), classAxis);
        return () -> out[oo] = org.panagrad.kernels.Softmax.crossEntropyMean(ax, ignore, za, zo, la, lo);
    }

    @Override public long flops(Node y) { return 4L * y.input(0).shape().numel(); }
}
