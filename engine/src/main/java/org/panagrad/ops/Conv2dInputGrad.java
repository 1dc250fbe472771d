package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.ConvShape;
import org.panagrad.kernels.Convolution;

import java.util.Arrays;

/**
 * The input gradient of a convolution, a transposed convolution (torch.nn.grad.conv2d_input): g
 * {@code [N, O, outH, outW]} and w {@code [O, C/groups, kh, kw]} give {@code [N, C, height, width]}, the adjoint
 * of x -> conv2d(x, w). The input's height and width are arguments, since a strided convolution maps several
 * sizes to one. Bilinear in (g, w); its VJPs are a convolution (for g) and a weight gradient (for w).
 */
public record Conv2dInputGrad(ConvGeometry geometry, int height, int width) implements Op {
    public static Node of(Node g, Node w, ConvGeometry geometry, int height, int width) {
        if (g.shape().rank() != 4 || w.shape().rank() != 4 || g.shape().dim(1) != w.shape().dim(0)) {
            throw ShapeException.of("conv2d input gradient", g, w, "needs a cotangent [N, O, outH, outW] and a weight"
                    + " [O, C/groups, kh, kw] with the same O");
        }
        Shape x = Shape.of(g.shape().dim(0), w.shape().dim(1) * geometry.groups(), height, width);
        ConvShape s = geometry.shape(x, w.shape());
        if (s.outHeight() != g.shape().dim(2) || s.outWidth() != g.shape().dim(3)) {
            throw ShapeException.of("conv2d input gradient", g, w, "an input of " + height + "x" + width + " gives an output of "
                    + s.outHeight() + "x" + s.outWidth() + ", not " + g.shape().dim(2) + "x" + g.shape().dim(3));
        }
        return g.graph().node(new Conv2dInputGrad(geometry, height, width), x, g, w);
    }

    @Override
    public String name() {
        return "conv2d_input_grad";
    }

    ConvShape shape(Node y) {
        return geometry.shape(y.shape(), y.input(1).shape());
    }

    // <c, y(g, w)> = <conv2d(c, w), g>: linear in each of g and w.
    @Override
    public Node[] vjp(Node y, Node c) {
        Node g = y.input(0), w = y.input(1);
        return new Node[] {Conv2d.of(c, w, geometry), Conv2dWeightGrad.of(c, g, geometry, w.shape().dim(2), w.shape().dim(3))};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node g = y.input(0), w = y.input(1);
        return Tangents.add(t[0] == null ? null : of(t[0], w, geometry, height, width),
                t[1] == null ? null : of(g, t[1], geometry, height, width));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Arrays.fill(out, 0);
        double[] g = in[0], w = in[1];
        ConvGeometry.forEachTap(shape(y), (xi, wi, yi) -> out[xi] += g[yi] * w[wi]);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        ConvShape s = shape(y);
        Node g = y.input(0), w = y.input(1);
        float[] ga = b.array(g), wa = b.array(w), ya = b.array(y);
        int go = b.offset(g), wo = b.offset(w), yo = b.offset(y);
        return () -> Convolution.inputGradient(s, ga, go, wa, wo, ya, yo);
    }

    @Override
    public long flops(Node y) {
        return ConvGeometry.flops(shape(y));
    }
}
