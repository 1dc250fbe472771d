package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.BinaryOp;

/** a * b elementwise, broadcasting. */
public record Mul() implements BroadcastBinary {
    public static Node of(Node a, Node b) {
        return BroadcastBinary.build(new Mul(), a, b);
    }

    @Override public String name() { return "mul"; }
    @Override public BinaryOp kernel() { return BinaryOp.MUL; }
    @Override public double apply(double a, double b) { return a * b; }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node a = y.input(0), b = y.input(1);
        return new Node[] {Broadcast.sumTo(Mul.of(g, b), a.shape()), Broadcast.sumTo(Mul.of(g, a), b.shape())};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node a = y.input(0), b = y.input(1);
        return Tangents.add(t[0] == null ? null : Mul.of(t[0], b), t[1] == null ? null : Mul.of(a, t[1]));
    }
}
