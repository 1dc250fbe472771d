package org.panagrad.kernels;

/**
 * Two elementwise binary ops in one pass, (a op b) op' c, as {@link Elementwise#chain} applies them with
 * broadcasting: the chains that derivative rules build most (a product added to or subtracted from a third
 * operand, a sum or difference scaled). Each is computed as its two ops in sequence, two roundings, so a fused
 * chain gives the same bits as its two ops apart.
 */
public enum ChainOp {
    /** a * b + c */
    MUL_ADD,
    /** a * b - c */
    MUL_SUB,
    /** c - a * b */
    MUL_SUBTRACTED,
    /** a * b * c */
    MUL_MUL,
    /** (a + b) * c */
    ADD_MUL,
    /** (a - b) * c */
    SUB_MUL;

    public float apply(float a, float b, float c) {
        return switch (this) {
            case MUL_ADD -> a * b + c;
            case MUL_SUB -> a * b - c;
            case MUL_SUBTRACTED -> c - a * b;
            case MUL_MUL -> a * b * c;
            case ADD_MUL -> (a + b) * c;
            case SUB_MUL -> (a - b) * c;
        };
    }

    /** The float64 form, for the reference interpreter. */
    public double apply(double a, double b, double c) {
        return switch (this) {
            case MUL_ADD -> a * b + c;
            case MUL_SUB -> a * b - c;
            case MUL_SUBTRACTED -> c - a * b;
            case MUL_MUL -> a * b * c;
            case ADD_MUL -> (a + b) * c;
            case SUB_MUL -> (a - b) * c;
        };
    }
}
