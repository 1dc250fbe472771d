package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.ConvShape;
import org.panagrad.kernels.Pooling;

import java.util.Arrays;

/**
 * The max pool's VJP: g (shaped as max_pool2d(x)) added at each window's arg-max of x, zeros elsewhere; shaped as
 * x. Linear in g, whose VJP is {@link MaxPool2dGather}; x only chooses where, so its derivative is zero.
 */
public record MaxPool2dScatter(PoolGeometry geometry) implements Op {
    public static Node of(Node x, Node g, PoolGeometry geometry) {
        if (!geometry.outputShape("max_pool2d scatter", x).equals(g.shape())) {
            throw ShapeException.of("max_pool2d scatter", x, g, "the cotangent must have the pooled shape "
                    + geometry.outputShape("max_pool2d", x));
        }
        return x.graph().node(new MaxPool2dScatter(geometry), x.shape(), x, g);
    }

    @Override
    public String name() {
        return "max_pool2d_scatter";
    }

    @Override
    public Node[] vjp(Node y, Node c) {
        return new Node[] {null, MaxPool2dGather.of(y.input(0), c, geometry)};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return t[1] == null ? null : of(y.input(0), t[1], geometry);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Arrays.fill(out, 0);
        int[] arg = PoolGeometry.argMax(geometry.shape(y.shape()), in[0]);
        for (int i = 0; i < arg.length; i++) out[arg[i]] += in[1][i];
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        ConvShape s = geometry.shape(y.shape());
        Node x = y.input(0), g = y.input(1);
        float[] xa = b.array(x), ga = b.array(g), ya = b.array(y);
        int xo = b.offset(x), go = b.offset(g), yo = b.offset(y);
        return () -> Pooling.maxPoolScatter(s, xa, xo, ga, go, ya, yo);
    }
}
