package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.kernels.BinaryOp;

/** a + b, broadcasting. */
public record Add() implements BroadcastBinary {
    public static Node of(Node a, Node b) {
        return BroadcastBinary.build(new Add(), a, b);
    }

    @Override public String name() { return "add"; }
    @Override public BinaryOp kernel() { return BinaryOp.ADD; }
    @Override public double apply(double a, double b) { return a + b; }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {Broadcast.sumTo(g, y.input(0).shape()), Broadcast.sumTo(g, y.input(1).shape())};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node ta = t[0] == null ? null : Broadcast.expandTo(t[0], y.shape());
        Node tb = t[1] == null ? null : Broadcast.expandTo(t[1], y.shape());
        return Tangents.add(ta, tb);
    }
}
