package org.panagrad.optim;

import org.panagrad.graph.Node;
import org.panagrad.graph.Op;

/**
 * What the fused optimizer updates share: they write the parameter (input 0 unless {@link #overwrittenInputs}
 * says otherwise) and their state in place, once every other reader of the parameter has run (the schedule sees
 * to it), and are never differentiated. Their one-element output is what the training step checks: the L2
 * norm of what the update's pass read ({@link #measures}), accumulated in that pass. Their float64
 * reference updates the interpreter's parameter and state values in place, the same way, and computes the
 * same norm, so that several steps can be checked against the reference.
 */
interface UpdateOp extends Op {
    /** What an update's output holds after a run. */
    enum Measured {
        /** The L2 norm of the gradient. */
        GRADIENT_NORM,
        /**
         * The L2 norm of the new momentum buffer (mu * old + gradient), when the gradient was summed into it by
         * a GEMM and never stored: not the gradient's norm, but finite exactly when the gradient is (the old
         * buffer being finite).
         */
        VELOCITY_NORM,
        /** Nothing (zero): a plain SGD step folded into its gradient's GEMM, which no pass of ours reads. */
        NOTHING
    }

    /** What {@link #compile}'s instruction writes to the output. */
    default Measured measures() {
        return Measured.GRADIENT_NORM;
    }

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
