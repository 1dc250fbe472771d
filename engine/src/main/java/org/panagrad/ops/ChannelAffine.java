package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Normalization;

/**
 * y = x * scale[c] + shift[c] along the channel axis of x [N, C, ...]: batch normalisation once its statistics
 * and affine parameters are folded into one scale and one shift per channel, in one pass over x.
 */
public record ChannelAffine() implements Op {
    public static Node of(Node x, Node scale, Node shift) {
        Shape s = x.shape();
        if (s.rank() < 2) {
            throw new ShapeException("channel_affine of " + x.describe() + ": expected an input [N, C, ...] of rank 2 or more");
        }
        Shape channels = Shape.of(s.dim(1));
        if (!scale.shape().equals(channels)) throw ShapeException.of("channel_affine", x, scale, "the scale must be [C] = " + channels);
        if (!shift.shape().equals(channels)) throw ShapeException.of("channel_affine", x, shift, "the shift must be [C] = " + channels);
        return x.graph().node(new ChannelAffine(), s, x, scale, shift);
    }

    @Override public String name() { return "channel_affine"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node x = y.input(0), scale = y.input(1);
        // Both reductions in one pass; the input's share as an affine map too, so that batch norm's input
        // gradient (this plus the batch moments' share, another affine map of x) fuses into one pass.
        Node sums = ChannelDots.of(g, x);
        return new Node[] {ChannelAffine.of(g, scale, ChannelDots.zeros(y.graph(), x.shape())), Ops.select(sums, 0, 1), Ops.select(sums, 0, 0)};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node x = y.input(0), scale = y.input(1);
        Shape s = x.shape();
        if (t[0] == null && t[1] == null) return Expand.to(BatchMoments.alongChannels(t[2], s), s);
        // t0 * scale + x * t1 + t2 as affine maps (with the shift on one of them), which the compiler fuses.
        Node shift = t[2] != null ? t[2] : ChannelDots.zeros(y.graph(), s);
        Node out = t[0] == null ? null : ChannelAffine.of(t[0], scale, shift);
        if (t[1] != null) out = Tangents.add(out, ChannelAffine.of(x, t[1], out == null ? shift : ChannelDots.zeros(y.graph(), s)));
        return out;
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Shape s = y.shape();
        int outer = s.dim(0), channels = s.dim(1), inner = s.numel() / (outer * channels);
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int run = (o * channels + c) * inner;
                for (int i = 0; i < inner; i++) out[run + i] = in[0][run + i] * in[1][c] + in[2][c];
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0), scale = y.input(1), shift = y.input(2);
        Shape s = y.shape();
        int outer = s.dim(0), channels = s.dim(1), inner = s.numel() / (outer * channels);
        float[] xa = b.array(x), sa = b.array(scale), ha = b.array(shift), out = b.array(y);
        int xo = b.offset(x), so = b.offset(scale), ho = b.offset(shift), oo = b.offset(y);
        return () -> Normalization.affine(outer, channels, inner, xa, xo, sa, so, ha, ho, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 2L * y.shape().numel(); }
}
