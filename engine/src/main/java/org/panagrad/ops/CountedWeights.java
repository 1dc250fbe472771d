package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;

/**
 * The weight of each labelled position in a mean that skips ignored ones: 1 / (counted positions) where the label
 * is not the labels' ignore index, 0 where it is. Shaped as the caller needs (the logits' shape with the class
 * axis of length 1, to broadcast along it). Its input is integer labels, so it has no derivatives.
 */
public record CountedWeights() implements Op {
    static Node of(Node labels, Shape out) {
        if (out.numel() != labels.shape().numel()) {
            throw new ShapeException("counted_weights of " + labels.describe() + " shaped " + out + ": element counts differ");
        }
        return labels.graph().node(new CountedWeights(), out, labels);
    }

    @Override public String name() { return "counted_weights"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {null}; }
    @Override public Node jvp(Node y, Node[] t) { return null; }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int ignore = SoftmaxCrossEntropy.ignoreIndex(y.input(0)), count = 0;
        for (double label : in[0]) if ((int) label != ignore) count++;
        for (int i = 0; i < out.length; i++) out[i] = (int) in[0][i] == ignore ? 0 : 1.0 / count;
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node labels = y.input(0);
        float[] la = b.array(labels), out = b.array(y);
        int lo = b.offset(labels), oo = b.offset(y), n = y.shape().numel(), ignore = SoftmaxCrossEntropy.ignoreIndex(labels);
        return () -> org.panagrad.kernels.Softmax.countedWeights(n, ignore, la, lo, out, oo);
    }
}
