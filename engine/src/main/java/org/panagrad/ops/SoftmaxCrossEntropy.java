package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.DType;
import org.panagrad.graph.Input;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Softmax;

/**
 * Mean over the batch of -log softmax(z)[label], fused: one op forward, and its gradient is the fused
 * {@link SoftmaxCrossEntropyGrad}, which carries the exact second-order rule.
 */
public record SoftmaxCrossEntropy() implements Op, KnownHessianLoss {
    public static Node of(Node logits, Node labels) {
        String op = "softmax_cross_entropy";
        if (logits.shape().rank() != 2) throw ShapeException.of(op, logits, labels, "logits must be a [batch x classes] matrix");
        if (labels.dtype() != DType.LABELS) throw ShapeException.of(op, logits, labels, "the second operand must be labels");
        if (labels.shape().rank() != 1 || labels.shape().dim(0) != logits.shape().dim(0)) {
            throw ShapeException.of(op, logits, labels, "batch sizes " + logits.shape().dim(0) + " and "
                    + labels.shape().dim(0) + " differ");
        }
        int classes = labels.op() instanceof Input ? ((Input) labels.op()).classes() : 0;
        if (classes > 0 && classes != logits.shape().dim(1)) {
            throw ShapeException.of(op, logits, labels, "labels have " + classes + " classes but the logits "
                    + logits.shape().dim(1));
        }
        return logits.graph().node(new SoftmaxCrossEntropy(), Shape.scalar(), logits, labels);
    }

    @Override public String name() { return "softmax_cross_entropy"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {Mul.of(g, SoftmaxCrossEntropyGrad.of(y.input(0), y.input(1))), null};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return t[0] == null ? null : Sum.all(Mul.of(SoftmaxCrossEntropyGrad.of(y.input(0), y.input(1)), t[0]));
    }

    @Override
    public Node hessianTimes(Node loss, Node u) {
        return SoftmaxCrossEntropyGrad.hessianTimes(loss.input(0), u);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int b = y.input(0).shape().dim(0), c = y.input(0).shape().dim(1);
        double total = 0;
        for (int i = 0; i < b; i++) total += RowSoftmax.logSumExp(in[0], i * c, c) - in[0][i * c + (int) in[1][i]];
        out[0] = total / b;
    }

    @Override
    public Instruction compile(Node y, Buffers buf) {
        Node z = y.input(0), labels = y.input(1);
        float[] za = buf.array(z), la = buf.array(labels), out = buf.array(y);
        int zo = buf.offset(z), lo = buf.offset(labels), oo = buf.offset(y);
        int b = z.shape().dim(0), c = z.shape().dim(1);
        return () -> out[oo] = Softmax.crossEntropyMean(b, c, za, zo, la, lo);
    }

    @Override public long flops(Node y) { return 4L * y.input(0).shape().numel(); }
}
