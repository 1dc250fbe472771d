package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.BinaryOp;

/** Elementwise maximum, broadcasting. At ties the derivative is shared equally, as in PyTorch. */
public record Maximum() implements BroadcastBinary {
    public static Node of(Node a, Node b) {
        return BroadcastBinary.build(new Maximum(), a, b);
    }

    @Override public String name() { return "maximum"; }
    @Override public BinaryOp kernel() { return BinaryOp.MAX; }
    @Override public double apply(double a, double b) { return Math.max(a, b); }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node a = y.input(0), b = y.input(1);
        Node aWins = Step.of(Sub.of(a, b), 0.5), bWins = Step.of(Sub.of(b, a), 0.5);
        return new Node[] {Broadcast.sumTo(Mul.of(g, aWins), a.shape()), Broadcast.sumTo(Mul.of(g, bWins), b.shape())};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node a = y.input(0), b = y.input(1);
        Node ta = t[0] == null ? null : Mul.of(t[0], Step.of(Sub.of(a, b), 0.5));
        Node tb = t[1] == null ? null : Mul.of(t[1], Step.of(Sub.of(b, a), 0.5));
        return Tangents.add(ta, tb);
    }
}
