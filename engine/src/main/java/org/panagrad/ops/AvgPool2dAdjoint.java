package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.ConvShape;
import org.panagrad.kernels.Pooling;

import java.util.Arrays;

/**
 * The average pool's VJP: each element of g (shaped as the pooled output) spread evenly over its window of an
 * input-shaped result. Linear; its VJP is {@link AvgPool2d}.
 */
public record AvgPool2dAdjoint(PoolGeometry geometry, Shape input) implements Op {
    public static Node of(Node g, PoolGeometry geometry, Shape input) {
        Shape pooled = input.rank() == 4 ? geometry.pooled(input) : null;
        if (pooled == null || !pooled.equals(g.shape())) {
            throw new ShapeException("avg_pool2d adjoint of " + g.describe() + " for an input " + input + ": the cotangent must"
                    + " have the pooled shape " + pooled);
        }
        return g.graph().node(new AvgPool2dAdjoint(geometry, input), input, g);
    }

    @Override
    public String name() {
        return "avg_pool2d_adjoint";
    }

    @Override
    public Node[] vjp(Node y, Node c) {
        return new Node[] {AvgPool2d.of(c, geometry)};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return t[0] == null ? null : of(t[0], geometry, input);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Arrays.fill(out, 0);
        double scale = 1.0 / (geometry.kh() * geometry.kw());
        PoolGeometry.forEachWindowElement(geometry.shape(input), (yi, xi) -> out[xi] += in[0][yi] * scale);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        ConvShape s = geometry.shape(input);
        float[] ga = b.array(y.input(0)), ya = b.array(y);
        int go = b.offset(y.input(0)), yo = b.offset(y);
        return () -> Pooling.avgPoolAdjoint(s, ga, go, ya, yo);
    }
}
