package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.Normalization;
import org.panagrad.ops.ChannelAffine;

/**
 * Batch norm's output and the ReLU after it in one pass: relu(x * s[c] + h[c]) (after bn1 of a residual block and
 * after the stem's batch norm), relu(x * s[c] + h[c] + r) (a block's bn2 plus its identity shortcut) or relu of a
 * {@link ChannelAffinePair} (bn2 plus a downsampled shortcut's batch norm). The pre-activation is never stored;
 * each element is rounded as the separate passes round it, so the fused program gives the same bits.
 */
public record ChannelAffineRelu(Form form) implements FusedOp {
    /** What is summed before the ReLU, and the inputs it takes. */
    public enum Form {
        /** (x, s, h). */
        AFFINE("channel_affine+relu", 2),
        /** (x, s, h, r). */
        RESIDUAL("channel_affine+add+relu", 3),
        /** (a, sa, ha, b, sb, hb). */
        PAIR("channel_affine_pair+relu", 4);

        private final String name;
        private final int flopsPerElement;

        Form(String name, int flopsPerElement) {
            this.name = name;
            this.flopsPerElement = flopsPerElement;
        }
    }

    /** relu of a channel_affine node. */
    public static Node affine(Node affine) {
        return affine.graph().node(new ChannelAffineRelu(Form.AFFINE), affine.shape(), affine.input(0), affine.input(1), affine.input(2));
    }

    /** relu(affine + r), r of the affine's shape. */
    public static Node residual(Node affine, Node r) {
        return affine.graph().node(new ChannelAffineRelu(Form.RESIDUAL), affine.shape(), affine.input(0), affine.input(1),
                affine.input(2), r);
    }

    /** relu of a channel_affine_pair node. */
    public static Node pair(Node pair) {
        Node[] in = new Node[6];
        for (int k = 0; k < 6; k++) in[k] = pair.input(k);
        return pair.graph().node(new ChannelAffineRelu(Form.PAIR), pair.shape(), in);
    }

    @Override public String name() { return form.name; }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        ChannelAffine affine = new ChannelAffine();
        affine.reference(y, new double[][] {in[0], in[1], in[2]}, out);
        if (form != Form.AFFINE) {
            double[] second = form == Form.RESIDUAL ? in[3] : new double[out.length];
            if (form == Form.PAIR) affine.reference(y, new double[][] {in[3], in[4], in[5]}, second);
            for (int i = 0; i < out.length; i++) out[i] += second[i];
        }
        for (int i = 0; i < out.length; i++) out[i] = out[i] > 0 ? out[i] : 0;
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Shape s = y.shape();
        int outer = s.dim(0), channels = s.dim(1), inner = s.numel() / (outer * channels);
        int arity = y.arity();
        float[][] arrays = new float[arity][];
        int[] offsets = new int[arity];
        for (int k = 0; k < arity; k++) {
            arrays[k] = b.array(y.input(k));
            offsets[k] = b.offset(y.input(k));
        }
        float[] out = b.array(y), x = arrays[0], sa = arrays[1], ha = arrays[2];
        int oo = b.offset(y), xo = offsets[0], so = offsets[1], ho = offsets[2];
        switch (form) {
            case AFFINE:
                return () -> Normalization.affineRelu(outer, channels, inner, x, xo, sa, so, ha, ho, out, oo);
            case RESIDUAL: {
                float[] r = arrays[3];
                int ro = offsets[3];
                return () -> Normalization.affineAddRelu(outer, channels, inner, x, xo, sa, so, ha, ho, r, ro, out, oo);
            }
            default: {
                float[] bx = arrays[3], sb = arrays[4], hb = arrays[5];
                int bo = offsets[3], sbo = offsets[4], hbo = offsets[5];
                return () -> Normalization.affinePairRelu(outer, channels, inner, x, xo, sa, so, ha, ho, bx, bo, sb, sbo, hb, hbo, out, oo);
            }
        }
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return (long) form.flopsPerElement * y.shape().numel(); }
}
