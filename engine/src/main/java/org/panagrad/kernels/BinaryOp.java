package org.panagrad.kernels;

/** The elementwise binary operations that {@link Elementwise#binary} applies with broadcasting. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX;

    public float apply(float a, float b) {
        switch (this) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV: return a / b;
            default: return Math.max(a, b);
        }
    }
}
