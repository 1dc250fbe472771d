package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.kernels.Softmax;

/**
 * (softmax(z) - onehot(labels)) / batch: the gradient of the mean softmax cross-entropy, in one kernel pass.
 * Its own derivative is the exact Hessian of the loss, (diag(p) - p p^T) / batch for each row, which is
 * symmetric, so the same rule serves as VJP and JVP.
 */
public record SoftmaxCrossEntropyGrad() implements Op {
    public static Node of(Node logits, Node labels) {
        return logits.graph().node(new SoftmaxCrossEntropyGrad(), logits.shape(), logits, labels);
    }

    /** ((diag(p) - p p^T) / batch) t, row by row, for p = softmax(z). */
    static Node hessianTimes(Node z, Node t) {
        return Scale.of(RowSoftmax.jacobianTimes(RowSoftmax.of(z), t), 1.0 / z.shape().dim(0));
    }

    @Override public String name() { return "softmax_cross_entropy_grad"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {hessianTimes(y.input(0), g), null}; }
    @Override public Node jvp(Node y, Node[] t) { return t[0] == null ? null : hessianTimes(y.input(0), t[0]); }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int b = y.shape().dim(0), c = y.shape().dim(1);
        for (int i = 0; i < b; i++) {
            double lse = RowSoftmax.logSumExp(in[0], i * c, c);
            for (int j = 0; j < c; j++) {
                out[i * c + j] = (Math.exp(in[0][i * c + j] - lse) - (j == (int) in[1][i] ? 1 : 0)) / b;
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers buf) {
        Node z = y.input(0), labels = y.input(1);
        float[] za = buf.array(z), la = buf.array(labels), out = buf.array(y);
        int zo = buf.offset(z), lo = buf.offset(labels), oo = buf.offset(y);
        int b = z.shape().dim(0), c = z.shape().dim(1);
        float scale = 1f / b;
        return () -> Softmax.crossEntropyGrad(b, c, scale, za, zo, la, lo, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 5L * y.shape().numel(); }
}
