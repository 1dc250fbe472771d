package org.panagrad.kernels;

/** The elementwise binary operations that {@link Elementwise#binary} applies with broadcasting. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX;

    public float apply(float a, float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
        };
    }
}
