package org.panagrad.graph;

/** An op with no inputs whose values come from outside the instruction list: fed, stored or preloaded. */
public interface Leaf extends Op {
    @Override
    default Node[] vjp(Node y, Node g) {
        return new Node[0];
    }

    @Override
    default Node jvp(Node y, Node[] tangents) {
        return null;
    }

    @Override
    default Instruction compile(Node y, Buffers buffers) {
        return null;
    }

    @Override
    default long flops(Node y) {
        return 0;
    }
}
