package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.kernels.ConvShape;
import org.panagrad.kernels.Pooling;

import java.util.Arrays;

/**
 * 2-D average pooling in NCHW (torch.nn.functional.avg_pool2d with count_include_pad, its default): each window's
 * sum over kh x kw, padding counting as zeros. Linear; its VJP is {@link AvgPool2dAdjoint}.
 */
public record AvgPool2d(PoolGeometry geometry) implements Op {
    public static Node of(Node x, PoolGeometry geometry) {
        return x.graph().node(new AvgPool2d(geometry), geometry.outputShape("avg_pool2d", x), x);
    }

    @Override
    public String name() {
        return "avg_pool2d";
    }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {AvgPool2dAdjoint.of(g, geometry, y.input(0).shape())};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return t[0] == null ? null : of(t[0], geometry);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Arrays.fill(out, 0);
        double scale = 1.0 / (geometry.kh() * geometry.kw());
        PoolGeometry.forEachWindowElement(geometry.shape(y.input(0).shape()), (yi, xi) -> out[yi] += in[0][xi] * scale);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        ConvShape s = geometry.shape(y.input(0).shape());
        float[] xa = b.array(y.input(0)), ya = b.array(y);
        int xo = b.offset(y.input(0)), yo = b.offset(y);
        return () -> Pooling.avgPool(s, xa, xo, ya, yo);
    }

    @Override
    public long flops(Node y) {
        return (long) y.shape().numel() * geometry.kh() * geometry.kw();
    }
}
