package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;

/**
 * The sum over a set of axes. Also the adjoint of broadcasting: the cotangent of a broadcast operand is summed
 * back over exactly the axes it was repeated along, and {@link Expand} is this op's adjoint.
 */
public record Sum(int axes) implements Reduction {
    static Node of(Node x, int axes, Shape out) {
        return Reduction.build(new Sum(axes), x, out);
    }

    /** Sum of every element: a scalar. */
    public static Node all(Node x) {
        return of(x, Axes.all(x.shape().rank()), Shape.scalar());
    }

    /** Sum over the given axes (negative ones count from the end); with keepDims they stay, with length 1. */
    public static Node over(Node x, boolean keepDims, int... axes) {
        int mask = Axes.mask("sum", x, axes);
        return of(x, mask, Axes.reduced(x.shape(), mask, keepDims));
    }

    @Override public String name() { return "sum"; }
    @Override public boolean isMax() { return false; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Expand.of(g, axes, y.input(0).shape())}; }
    @Override public Node jvp(Node y, Node[] t) { return of(t[0], axes, y.shape()); }
    @Override public Node batched(Node y, Node[] in, boolean[] stacked, int k) {
        return of(in[0], axes << 1, y.shape().withLeading(k));
    }
}
