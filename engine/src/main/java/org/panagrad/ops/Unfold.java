package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.ConvShape;
import org.panagrad.kernels.Unfolding;

/**
 * The patches of a convolution (torch.nn.functional.unfold, per group): x {@code [N, C, H, W]} gives
 * {@code [N, groups K, outH, outW]} with K = (C/groups) kh kw, channel (g K + (c kh + i) kw + j) holding group g's
 * input channel c at tap (i, j) of each output position. It is conv2d(x, I) for the identity kernel I (the K x K
 * identity per group, [groups K, C/groups, kh, kw]), which is the node's second input, a constant, so its
 * derivatives are conv2d's: the JVP is the unfold of the tangent, and the VJP is {@link Conv2dInputGrad} against
 * I, which computes col2im's sums with a dense K x K product per position (K times col2im's work). The forward
 * kernel copies ({@link Unfolding}) instead of multiplying by I. The VJP keeps the convolution's rule because no
 * program here differentiates through the patches (per-sample gradients, Kronecker factors, EKFAC and the
 * Laplace predictive only read them forward); what every program pays is I in the arena (groups K^2 floats:
 * 90 KB for lenet5's second convolution). A Fold op (col2im over a whole batch, with its own kernel) would make
 * the VJP cheap and drop I; it needs {@code Patches.col2im} at an offset into the patches.
 */
public record Unfold(ConvGeometry geometry, boolean channelMajor) implements Op {
    /** The patches of x for a kh x kw kernel under geometry. */
    public static Node of(Node x, int kh, int kw, ConvGeometry geometry) {
        return of(x, kh, kw, geometry, false);
    }

    /**
     * The patches with {@code channelMajor}: {@code [groups K, N, outH, outW]}, the batch axis moved inside, so
     * that each patch entry is one contiguous row over the whole batch (a convolution's Kronecker factors are the
     * Gram products of those rows); written so directly instead of by a permute of the patches.
     */
    public static Node of(Node x, int kh, int kw, ConvGeometry geometry, boolean channelMajor) {
        if (x.shape().rank() != 4) throw new ShapeException("unfold needs an input [N, C, H, W], got " + x.describe());
        int groups = geometry.groups(), channels = x.shape().dim(1);
        if (groups < 1 || channels % groups != 0) {
            throw new ShapeException("unfold: input channels " + channels + " do not divide by groups " + groups);
        }
        int cg = channels / groups, k = cg * kh * kw;
        float[] identity = new float[groups * k * k];
        for (int g = 0; g < groups; g++) for (int i = 0; i < k; i++) identity[(g * k + i) * k + i] = 1;
        Node kernel = x.graph().constant("unfold.identity" + x.graph().size(), Shape.of(groups * k, cg, kh, kw), identity);
        return of(x, kernel, geometry, channelMajor);
    }

    private static Node of(Node x, Node identity, ConvGeometry geometry, boolean channelMajor) {
        Shape patches = geometry.outputShape("unfold", x, identity);
        Shape shape = channelMajor ? Shape.of(patches.dim(1), patches.dim(0), patches.dim(2), patches.dim(3)) : patches;
        return x.graph().node(new Unfold(geometry, channelMajor), shape, x, identity);
    }

    @Override
    public String name() {
        return "unfold";
    }

    private ConvShape shape(Node y) {
        return geometry.shape(y.input(0).shape(), y.input(1).shape());
    }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node x = y.input(0);
        Node byImage = channelMajor ? Ops.permute(g, 1, 0, 2, 3) : g;
        return new Node[] {Conv2dInputGrad.of(byImage, y.input(1), geometry, x.shape().dim(2), x.shape().dim(3)), null};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return t[0] == null ? null : of(t[0], y.input(1), geometry, channelMajor);
    }

    /** conv2d(x, I)'s, which it is (with the first two axes swapped when channel-major). */
    @Override
    public void reference(Node y, double[][] in, double[] out) {
        java.util.Arrays.fill(out, 0);
        double[] x = in[0], w = in[1];
        ConvShape s = shape(y);
        int rows = s.groups() * s.patchRows(), positions = s.positions(), batch = s.batch();
        ConvGeometry.forEachTap(s, (xi, wi, yi) -> {
            int at = yi;
            if (channelMajor) {
                int n = yi / (rows * positions), r = yi / positions % rows;
                at = (r * batch + n) * positions + yi % positions;
            }
            out[at] += x[xi] * w[wi];
        });
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        ConvShape s = shape(y);
        Node x = y.input(0);
        float[] xa = b.array(x), ya = b.array(y);
        int xo = b.offset(x), yo = b.offset(y);
        if (channelMajor) return () -> Unfolding.unfoldChannelMajor(s, xa, xo, ya, yo);
        return () -> Unfolding.unfold(s, xa, xo, ya, yo);
    }
}
