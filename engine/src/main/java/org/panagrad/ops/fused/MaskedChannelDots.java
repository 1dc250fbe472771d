package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.Normalization;
import org.panagrad.ops.ChannelDots;

/**
 * channel_dots(relu_backward(g, y), x) where y = relu(x * fs[c] + fh[c]) is batch norm's output with its ReLU
 * ({@link ChannelAffineRelu}): batch norm's backward sums with ReLU's mask recomputed from x, which the pass
 * reads anyway, so neither the masked cotangent nor y is read. Inputs (g, x, fs, fh).
 */
public record MaskedChannelDots() implements FusedOp {
    /** The fused form of dots = channel_dots(relu_backward(g, relu(affine(x, fs, fh))), x). */
    public static Node of(Node dots, Node reluBackward) {
        Node forward = reluBackward.input(1);
        return dots.graph().node(new MaskedChannelDots(), dots.shape(), reluBackward.input(0), dots.input(1), forward.input(1), forward.input(2));
    }

    @Override public String name() { return "relu_backward+channel_dots"; }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        new ChannelDots().reference(y, new double[][] {masked(y.input(1).shape(), in[0], in[1], in[2], in[3]), in[1]}, out);
    }

    /** g where x * fs[c] + fh[c] > 0, else 0, for x [N, C, ...] (in float64, as the reference's ReLU sees it). */
    static double[] masked(Shape s, double[] g, double[] x, double[] fs, double[] fh) {
        int channels = s.dim(1), inner = s.numel() / (s.dim(0) * channels);
        double[] out = new double[g.length];
        for (int i = 0; i < out.length; i++) {
            int c = i / inner % channels;
            out[i] = x[i] * fs[c] + fh[c] > 0 ? g[i] : 0;
        }
        return out;
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node g = y.input(0), x = y.input(1), fs = y.input(2), fh = y.input(3);
        Shape s = x.shape();
        int outer = s.dim(0), channels = s.dim(1), inner = s.numel() / (outer * channels);
        float[] ga = b.array(g), xa = b.array(x), sa = b.array(fs), ha = b.array(fh), out = b.array(y);
        int go = b.offset(g), xo = b.offset(x), so = b.offset(fs), ho = b.offset(fh), oo = b.offset(y);
        return () -> Normalization.maskedChannelDots(outer, channels, inner, ga, go, xa, xo, sa, so, ha, ho, out, oo);
    }

    @Override public long flops(Node y) { return 5L * y.input(0).shape().numel(); }
}
