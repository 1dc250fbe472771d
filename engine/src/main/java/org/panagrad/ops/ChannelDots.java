package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Normalization;

/**
 * For g and x of one shape [N, C, ...], a [2, C] tensor holding each channel's sum of g (row 0) and sum of g * x
 * (row 1), in one pass over both: what batch norm's backward reduces (the bias and scale gradients, which the
 * input gradient then needs), instead of a product pass and two reductions.
 */
public record ChannelDots() implements Op {
    public static Node of(Node g, Node x) {
        Shape s = x.shape();
        if (s.rank() < 2) throw new ShapeException("channel_dots of " + x.describe() + ": expected an input [N, C, ...] of rank 2 or more");
        if (!g.shape().equals(s)) throw ShapeException.of("channel_dots", g, x, "both operands must have the same shape");
        return x.graph().node(new ChannelDots(), Shape.of(2, s.dim(1)), g, x);
    }

    @Override public String name() { return "channel_dots"; }

    @Override
    public Node[] vjp(Node y, Node gy) {
        Node g = y.input(0), x = y.input(1);
        Node onSums = Ops.select(gy, 0, 0), onDots = Ops.select(gy, 0, 1);
        return new Node[] {ChannelAffine.of(x, onDots, onSums), ChannelAffine.of(g, onDots, zeros(y.graph(), g.shape()))};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node g = y.input(0), x = y.input(1);
        Node out = t[0] == null ? null : ChannelDots.of(t[0], x);
        if (t[1] != null) {
            int c = y.shape().dim(1);
            Node dots = Reshape.of(Ops.select(ChannelDots.of(t[1], g), 0, 1), Shape.of(1, c));
            out = Tangents.add(out, Concat.of(0, y.graph().fill(0, Shape.of(1, c)), dots));
        }
        return out;
    }

    /** Zeros [C] for x [N, C, ...]: the shift of an affine map that only scales. */
    static Node zeros(Graph graph, Shape x) {
        return graph.fill(0, Shape.of(x.dim(1)));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Shape s = y.input(0).shape();
        int outer = s.dim(0), channels = s.dim(1), inner = s.numel() / (outer * channels);
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                for (int i = 0; i < inner; i++) {
                    out[c] += in[0][run + i];
                    out[channels + c] += in[0][run + i] * in[1][run + i];
                }
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node g = y.input(0), x = y.input(1);
        Shape s = x.shape();
        int outer = s.dim(0), channels = s.dim(1), inner = s.numel() / (outer * channels);
        float[] ga = b.array(g), xa = b.array(x), out = b.array(y);
        int go = b.offset(g), xo = b.offset(x), oo = b.offset(y);
        return () -> Normalization.channelDots(outer, channels, inner, ga, go, xa, xo, out, oo);
    }

    @Override public long flops(Node y) { return 3L * y.input(0).shape().numel(); }
}
