package org.panagrad.ops.fused;

import org.panagrad.graph.Node;
import org.panagrad.graph.Op;

/**
 * An op that only the compiler's fusion pass creates, after every derivative has been taken: it is never
 * differentiated, so its derivative rules refuse with an explanation rather than return something wrong.
 */
public interface FusedOp extends Op {
    @Override
    default Node[] vjp(Node y, Node g) {
        throw new UnsupportedOperationException(name() + " is a fused op of a compiled program; differentiate the graph before compiling it");
    }

    @Override
    default Node jvp(Node y, Node[] t) {
        throw new UnsupportedOperationException(name() + " is a fused op of a compiled program; differentiate the graph before compiling it");
    }
}
