package org.panagrad.graph;

/** A node could not be built because its operands' shapes do not fit the op. Thrown at graph-build time. */
public final class ShapeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ShapeException(String message) {
        super(message);
    }

    /** "matmul of x [128x784] by w1 [500x10]: inner dimensions 784 and 500 differ". */
    public static ShapeException of(String op, Node a, Node b, String why) {
        return new ShapeException(op + " of " + a.describe() + " by " + b.describe() + ": " + why);
    }
}
