package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.ConvShape;
import org.panagrad.kernels.Pooling;

/**
 * c (shaped as x) read at each window's arg-max of x: the max pool's JVP, and the adjoint of
 * {@link MaxPool2dScatter} in its second operand. Linear in c; x only chooses where, so its derivative is zero.
 */
public record MaxPool2dGather(PoolGeometry geometry) implements Op {
    public static Node of(Node x, Node c, PoolGeometry geometry) {
        if (!x.shape().equals(c.shape())) {
            throw ShapeException.of("max_pool2d gather", x, c, "the values must have the input's shape");
        }
        return x.graph().node(new MaxPool2dGather(geometry), geometry.outputShape("max_pool2d gather", x), x, c);
    }

    @Override
    public String name() {
        return "max_pool2d_gather";
    }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {null, MaxPool2dScatter.of(y.input(0), g, geometry)};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return t[1] == null ? null : of(y.input(0), t[1], geometry);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int[] arg = PoolGeometry.argMax(geometry.shape(y.input(0).shape()), in[0]);
        for (int i = 0; i < out.length; i++) out[i] = in[1][arg[i]];
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        ConvShape s = geometry.shape(y.input(0).shape());
        Node x = y.input(0), c = y.input(1);
        float[] xa = b.array(x), ca = b.array(c), ya = b.array(y);
        int xo = b.offset(x), co = b.offset(c), yo = b.offset(y);
        return () -> Pooling.maxPoolGather(s, xa, xo, ca, co, ya, yo);
    }
}
