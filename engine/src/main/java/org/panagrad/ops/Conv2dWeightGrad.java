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
 * The weight gradient of a convolution (torch.nn.grad.conv2d_weight): x {@code [N, C, H, W]} and the cotangent g
 * {@code [N, O, outH, outW]} give {@code [O, C/groups, kh, kw]}, summed over the batch. The kernel's size is an
 * argument. Bilinear in (x, g); its VJPs are an input gradient (for x) and a convolution (for g).
 */
public record Conv2dWeightGrad(ConvGeometry geometry, int kh, int kw) implements Op {
    public static Node of(Node x, Node g, ConvGeometry geometry, int kh, int kw) {
        String op = "conv2d weight gradient";
        if (x.shape().rank() != 4 || g.shape().rank() != 4 || x.shape().dim(0) != g.shape().dim(0)
                || x.shape().dim(1) % geometry.groups() != 0) {
            throw ShapeException.of(op, x, g, "needs an input [N, C, H, W] and a cotangent [N, O, outH, outW] with the same N"
                    + " and C divisible by groups " + geometry.groups());
        }
        Shape w = Shape.of(g.shape().dim(1), x.shape().dim(1) / geometry.groups(), kh, kw);
        ConvShape s = geometry.shape(x.shape(), w);
        if (s.outHeight() != g.shape().dim(2) || s.outWidth() != g.shape().dim(3)) {
            throw ShapeException.of(op, x, g, "a " + kh + "x" + kw + " kernel gives an output of " + s.outHeight() + "x"
                    + s.outWidth() + ", not " + g.shape().dim(2) + "x" + g.shape().dim(3));
        }
        return x.graph().node(new Conv2dWeightGrad(geometry, kh, kw), w, x, g);
    }

    @Override
    public String name() {
        return "conv2d_weight_grad";
    }

    ConvShape shape(Node y) {
        return geometry.shape(y.input(0).shape(), y.shape());
    }

    // <c, y(x, g)> = <conv2d(x, c), g>: linear in each of x and g.
    @Override
    public Node[] vjp(Node y, Node c) {
        Node x = y.input(0), g = y.input(1);
        return new Node[] {Conv2dInputGrad.of(g, c, geometry, x.shape().dim(2), x.shape().dim(3)), Conv2d.of(x, c, geometry)};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node x = y.input(0), g = y.input(1);
        return Tangents.add(t[0] == null ? null : of(t[0], g, geometry, kh, kw), t[1] == null ? null : of(x, t[1], geometry, kh, kw));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Arrays.fill(out, 0);
        double[] x = in[0], g = in[1];
        ConvGeometry.forEachTap(shape(y), (xi, wi, yi) -> out[wi] += x[xi] * g[yi]);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        ConvShape s = shape(y);
        Node x = y.input(0), g = y.input(1);
        float[] xa = b.array(x), ga = b.array(g), ya = b.array(y);
        int xo = b.offset(x), go = b.offset(g), yo = b.offset(y);
        return () -> Convolution.weightGradient(s, xa, xo, ga, go, ya, yo);
    }

    @Override
    public long flops(Node y) {
        return ConvGeometry.flops(shape(y));
    }
}
