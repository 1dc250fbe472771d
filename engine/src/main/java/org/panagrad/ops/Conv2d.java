package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.ConvShape;
import org.panagrad.kernels.Convolution;

import java.util.Arrays;

/**
 * 2-D cross-correlation in NCHW, as torch.nn.functional.conv2d without bias (the bias is a broadcast add that
 * the compiler fuses back into the GEMM's epilogue): x {@code [N, C, H, W]} and w {@code [O, C/groups, kh, kw]}
 * give {@code [N, O, outH, outW]}. It is bilinear in (x, w), and both of its VJPs are convolutions of their own
 * ({@link Conv2dInputGrad}, the transposed convolution, and {@link Conv2dWeightGrad}), each of whose VJPs is
 * again one of the three, so derivatives of any order stay convolutions.
 */
public record Conv2d(ConvGeometry geometry) implements Op {
    public static Node of(Node x, Node w, ConvGeometry geometry) {
        Shape out = geometry.outputShape("conv2d", x, w);
        return x.graph().node(new Conv2d(geometry), out, x, w);
    }

    @Override
    public String name() {
        return "conv2d";
    }

    /** The kernels' geometry of y = conv2d(x, w). */
    public ConvShape shape(Node y) {
        return geometry.shape(y.input(0).shape(), y.input(1).shape());
    }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node x = y.input(0), w = y.input(1);
        return new Node[] {Conv2dInputGrad.of(g, w, geometry, x.shape().dim(2), x.shape().dim(3)),
                Conv2dWeightGrad.of(x, g, geometry, w.shape().dim(2), w.shape().dim(3))};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node x = y.input(0), w = y.input(1);
        return Tangents.add(t[0] == null ? null : of(t[0], w, geometry), t[1] == null ? null : of(x, t[1], geometry));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Arrays.fill(out, 0);
        double[] x = in[0], w = in[1];
        ConvGeometry.forEachTap(shape(y), (xi, wi, yi) -> out[yi] += x[xi] * w[wi]);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        return compileConvolution(y, b, null, false);
    }

    /** The convolution y (or a fusion of it), with a per-channel bias and ReLU in the GEMM's epilogue when given. */
    public Instruction compileConvolution(Node y, Buffers b, Node bias, boolean relu) {
        ConvShape s = shape(y);
        Node x = y.input(0), w = y.input(1);
        float[] xa = b.array(x), wa = b.array(w), ya = b.array(y), ba = bias == null ? null : b.array(bias);
        int xo = b.offset(x), wo = b.offset(w), yo = b.offset(y), bo = bias == null ? 0 : b.offset(bias);
        return () -> Convolution.forward(s, xa, xo, wa, wo, ba, bo, relu, ya, yo);
    }

    @Override
    public long flops(Node y) {
        return ConvGeometry.flops(shape(y));
    }
}
