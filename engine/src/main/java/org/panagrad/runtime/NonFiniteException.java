package org.panagrad.runtime;

import org.panagrad.graph.Node;

/**
 * Thrown by a program run with anomaly detection ({@link Program#detectAnomaly}) at the first instruction whose
 * output holds NaN or an infinity while its inputs were finite, or which reads a non-finite value from outside
 * the program (an input, a parameter, a constant), as {@code torch.autograd.detect_anomaly} names the backward
 * function that produced a NaN. The message names the instruction, its op and shapes, where it sits in the model
 * (the parameters nearest to it) and the first bad element.
 */
public final class NonFiniteException extends ArithmeticException {
    private final transient Node node;
    private final int instruction;

    NonFiniteException(Node node, int instruction, String message) {
        super(message);
        this.node = node;
        this.instruction = instruction;
    }

    /** The node whose instruction first produced (or first read) the non-finite value. */
    public Node node() {
        return node;
    }

    /** Its index in {@link Program#instructionNodes()}. */
    public int instruction() {
        return instruction;
    }
}
