package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.Normalization;
import org.panagrad.ops.ChannelAffine;

/**
 * a * sa[c] + ha[c] + b * sb[c] + hb[c] along the channel axis: the sum of two per-channel affine maps in one
 * pass instead of two maps and an add. Batch norm's input gradient in training is such a sum (the cotangent
 * scaled, plus the batch statistics' share, an affine map of the input), and so is its tangent.
 */
public record ChannelAffinePair() implements FusedOp {
    /** The fused sum of two channel_affine nodes (inputs a, sa, ha and b, sb, hb) of one shape. */
    public static Node of(Node first, Node second) {
        return first.graph().node(new ChannelAffinePair(), first.shape(),
                first.input(0), first.input(1), first.input(2), second.input(0), second.input(1), second.input(2));
    }

    @Override public String name() { return "channel_affine_pair"; }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        ChannelAffine affine = new ChannelAffine();
        double[] second = new double[out.length];
        affine.reference(y, new double[][] {in[0], in[1], in[2]}, out);
        affine.reference(y, new double[][] {in[3], in[4], in[5]}, second);
        for (int i = 0; i < out.length; i++) out[i] += second[i];
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Shape s = y.shape();
        int outer = s.dim(0), channels = s.dim(1), inner = s.numel() / (outer * channels);
        float[][] arrays = new float[6][];
        int[] offsets = new int[6];
        for (int k = 0; k < 6; k++) {
            arrays[k] = b.array(y.input(k));
            offsets[k] = b.offset(y.input(k));
        }
        float[] a = arrays[0], sa = arrays[1], ha = arrays[2], x = arrays[3], sb = arrays[4], hb = arrays[5], out = b.array(y);
        int ao = offsets[0], sao = offsets[1], hao = offsets[2], xo = offsets[3], sbo = offsets[4], hbo = offsets[5], oo = b.offset(y);
        return () -> Normalization.affinePair(outer, channels, inner, a, ao, sa, sao, ha, hao, x, xo, sb, sbo, hb, hbo, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 4L * y.shape().numel(); }
}
