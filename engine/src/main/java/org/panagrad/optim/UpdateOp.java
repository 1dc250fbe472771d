package org.panagrad.optim;

import org.panagrad.graph.Node;
import org.panagrad.graph.Op;

/**
 * What the fused optimizer updates share: they write the parameter (input 0 unless {@link #overwrittenInputs}
 * says otherwise) and their state in place, once every other reader of the parameter has run (the schedule sees
 * to it), and are never differentiated. Their output is a one-element placeholder. Their float64
 * reference updates the interpreter's parameter and state values in place, the same way, so that several
 * steps can be checked against the reference.
 */
interface UpdateOp extends Op {
    @Override
    default boolean hasSideEffects() {
        return true;
    }

    @Override
    default Node[] vjp(Node y, Node g) {
        throw new UnsupportedOperationException(name() + " updates parameters; it has no derivative");
    }

    @Override
    default Node jvp(Node y, Node[] t) {
        throw new UnsupportedOperationException(name() + " updates parameters; it has no derivative");
    }

    @Override
    default long flops(Node y) {
        return 4L * y.input(0).shape().numel();
    }
}
