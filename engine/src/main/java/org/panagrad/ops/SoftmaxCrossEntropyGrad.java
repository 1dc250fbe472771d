package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Input;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.kernels.Axis;

/**
 * (softmax(z) - onehot(labels)) / (counted positions) along the class axis, 0 at ignored positions: the gradient
 * of the mean softmax cross-entropy, in one kernel pass. Its own derivative is the exact Hessian of the loss,
 * (diag(p) - p p^T) / count for each counted position, which is symmetric, so the same rule serves as VJP and JVP.
 */
public record SoftmaxCrossEntropyGrad(int classAxis) implements Op {
    public static Node of(Node logits, Node labels, int classAxis) {
        int axis = SoftmaxCrossEntropy.checkLabels("softmax_cross_entropy_grad", logits, labels, classAxis);
        return logits.graph().node(new SoftmaxCrossEntropyGrad(axis), logits.shape(), logits, labels);
    }

    /** The loss's Hessian applied to t: the softmax Jacobian along the class axis, weighted as the mean weighs. */
    static Node hessianTimes(Node z, Node labels, int axis, Node t) {
        Node jt = Softmax.jacobianTimes(Softmax.of(z, axis), t, axis);
        if (Input.ignoreIndexOf(labels).isEmpty()) return Scale.of(jt, 1.0 / labels.shape().numel());
        return Mul.of(jt, CountedWeights.of(labels, Axes.reduced(z.shape(), 1 << axis, true)));
    }

    @Override public String name() { return "softmax_cross_entropy_grad"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {hessianTimes(y.input(0), y.input(1), classAxis, g), null}; }
    @Override public Node jvp(Node y, Node[] t) { return t[0] == null ? null : hessianTimes(y.input(0), y.input(1), classAxis, t[0]); }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Axis ax = Axes.along(y.shape(), classAxis);
        int ignore = SoftmaxCrossEntropy.ignoreIndex(y.input(1)), n = ax.length(), inner = ax.inner(), count = 0;
        for (double label : in[1]) if ((int) label != ignore) count++;
        for (int o = 0; o < ax.outer(); o++) {
            for (int j = 0; j < inner; j++) {
                int label = (int) in[1][o * inner + j], at = o * n * inner + j;
                double lse = Softmax.logSumExp(in[0], at, n, inner);
                for (int c = 0; c < n; c++) {
                    int i = at + c * inner;
                    out[i] = label == ignore ? 0 : (Math.exp(in[0][i] - lse) - (c == label ? 1 : 0)) / count;
                }
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers buf) {
        Node z = y.input(0), labels = y.input(1);
        float[] za = buf.array(z), la = buf.array(labels), out = buf.array(y);
        int zo = buf.offset(z), lo = buf.offset(labels), oo = buf.offset(y);
        int ignore = SoftmaxCrossEntropy.ignoreIndex(labels);
        Axis ax = Axes.along(z.shape(), classAxis);
        return () -> org.panagrad.kernels.Softmax.crossEntropyGrad(ax, ignore, za, zo, la, lo, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 5L * y.shape().numel(); }
}
