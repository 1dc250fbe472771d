package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.kernels.ConvShape;
import org.panagrad.kernels.Pooling;

/**
 * 2-D max pooling in NCHW (torch.nn.functional.max_pool2d). Its derivatives route through the arg-max of each
 * window as PyTorch's do: the VJP sends the cotangent there ({@link MaxPool2dScatter}), the JVP reads the tangent
 * there ({@link MaxPool2dGather}). Both are linear in what they route and constant in x almost everywhere, so the
 * second order is exact.
 */
public record MaxPool2d(PoolGeometry geometry) implements Op {
    public static Node of(Node x, PoolGeometry geometry) {
        return x.graph().node(new MaxPool2d(geometry), geometry.outputShape("max_pool2d", x), x);
    }

    @Override
    public String name() {
        return "max_pool2d";
    }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {MaxPool2dScatter.of(y.input(0), g, geometry)};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return t[0] == null ? null : MaxPool2dGather.of(y.input(0), t[0], geometry);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int[] arg = PoolGeometry.argMax(geometry.shape(y.input(0).shape()), in[0]);
        for (int i = 0; i < out.length; i++) out[i] = in[0][arg[i]];
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        ConvShape s = geometry.shape(y.input(0).shape());
        float[] xa = b.array(y.input(0)), ya = b.array(y);
        int xo = b.offset(y.input(0)), yo = b.offset(y);
        return () -> Pooling.maxPool(s, xa, xo, ya, yo);
    }

    @Override
    public long flops(Node y) {
        return (long) y.shape().numel() * geometry.kh() * geometry.kw();
    }
}
