package org.panagrad.graph;

/** Where each node's values live in a compiled program: an array (the arena or a parameter) and an offset. */
public interface Buffers {
    float[] array(Node n);

    int offset(Node n);
}
