package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.BinaryOp;

/** a / b elementwise, broadcasting. */
public record Div() implements BroadcastBinary {
    public static Node of(Node a, Node b) {
        return BroadcastBinary.build(new Div(), a, b);
    }

    @Override public String name() { return "div"; }
    @Override public BinaryOp kernel() { return BinaryOp.DIV; }
    @Override public double apply(double a, double b) { return a / b; }

    // d(a/b) = da/b - (a/b) db/b, written with y = a/b.
    @Override
    public Node[] vjp(Node y, Node g) {
        Node a = y.input(0), b = y.input(1);
        Node gb = Neg.of(Div.of(Mul.of(g, y), b));
        return new Node[] {Broadcast.sumTo(Div.of(g, b), a.shape()), Broadcast.sumTo(gb, b.shape())};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node b = y.input(1);
        Node num = Tangents.sub(t[0] == null ? null : Broadcast.expandTo(t[0], y.shape()),
                t[1] == null ? null : Mul.of(y, t[1]));
        return num == null ? null : Div.of(num, b);
    }
}
