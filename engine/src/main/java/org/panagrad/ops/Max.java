package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;

/**
 * The maximum over a set of axes. Its derivative routes the cotangent to the arg-max; where several elements
 * tie for the maximum it is split evenly among them, as JAX does (PyTorch's max over a dimension picks one
 * index instead, its amax splits evenly too). That rule is the derivative of neither neighbour at a tie, but it
 * is the symmetric choice, and it is what the float64 reference and the kernels agree on.
 */
public record Max(int axes) implements Reduction {
    static Node of(Node x, int axes, Shape out) {
        return Reduction.build(new Max(axes), x, out);
    }

    /** Maximum over the given axes (negative ones count from the end); with keepDims they stay, with length 1. */
    public static Node over(Node x, boolean keepDims, int... axes) {
        int mask = Axes.mask("max", x, axes);
        return of(x, mask, Axes.reduced(x.shape(), mask, keepDims));
    }

    @Override public String name() { return "max"; }
    @Override public boolean isMax() { return true; }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node x = y.input(0), at = argMax(y);
        Node share = Div.of(g, Sum.of(at, axes, y.shape()));
        return new Node[] {Mul.of(at, Expand.of(share, axes, x.shape()))};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node at = argMax(y);
        return Div.of(Sum.of(Mul.of(at, t[0]), axes, y.shape()), Sum.of(at, axes, y.shape()));
    }

    /** 1 where an element equals the maximum of its group (x - max = 0, never positive), else 0. */
    private Node argMax(Node y) {
        Node x = y.input(0);
        return Step.of(Sub.of(x, Expand.of(y, axes, x.shape())), 1);
    }
}
