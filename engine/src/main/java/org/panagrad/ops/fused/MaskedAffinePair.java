package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.Normalization;

/**
 * A {@link ChannelAffinePair} relu_backward(g, y) * sa[c] + ha[c] + x * sb[c] + hb[c], where y = relu(x * fs[c] +
 * fh[c]) is batch norm's output with its ReLU ({@link ChannelAffineRelu}): batch norm's input gradient with ReLU's
 * mask recomputed from x, as {@link MaskedChannelDots}. Inputs (g, sa, ha, x, sb, hb, fs, fh).
 */
public record MaskedAffinePair() implements FusedOp {
    /** The fused form of a channel_affine_pair whose input 0 is relu_backward(g, relu(affine(x, fs, fh))) and input 3 is x. */
    public static Node of(Node pair, Node reluBackward) {
        Node forward = reluBackward.input(1);
        return pair.graph().node(new MaskedAffinePair(), pair.shape(), reluBackward.input(0), pair.input(1), pair.input(2),
                pair.input(3), pair.input(4), pair.input(5), forward.input(1), forward.input(2));
    }

    @Override public String name() { return "relu_backward+channel_affine_pair"; }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        double[] masked = MaskedChannelDots.masked(y.shape(), in[0], in[3], in[6], in[7]);
        new ChannelAffinePair().reference(y, new double[][] {masked, in[1], in[2], in[3], in[4], in[5]}, out);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Shape s = y.shape();
        int outer = s.dim(0), channels = s.dim(1), inner = s.numel() / (outer * channels);
        float[][] arrays = new float[8][];
        int[] offsets = new int[8];
        for (int k = 0; k < 8; k++) {
            arrays[k] = b.array(y.input(k));
            offsets[k] = b.offset(y.input(k));
        }
        float[] g = arrays[0], sa = arrays[1], ha = arrays[2], x = arrays[3], sb = arrays[4], hb = arrays[5], fs = arrays[6], fh = arrays[7];
        int go = offsets[0], sao = offsets[1], hao = offsets[2], xo = offsets[3], sbo = offsets[4], hbo = offsets[5], fso = offsets[6], fho = offsets[7];
        float[] out = b.array(y);
        int oo = b.offset(y);
        return () -> Normalization.maskedAffinePair(outer, channels, inner, g, go, sa, sao, ha, hao, x, xo, sb, sbo, hb, hbo,
                fs, fso, fh, fho, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 6L * y.shape().numel(); }
}
