package org.panagrad.kernels;

/** The elementwise unary operations that {@link Elementwise#unary} applies. */
public enum UnaryOp {
    NEG, EXP, LOG, TANH, SIGMOID, RELU, SQRT, RSQRT, ABS, SIGN, SOFTPLUS;

    /** The scalar twin's definition, which the SIMD bodies match (bit for bit, or within a few ulp where noted). */
    public float apply(float x) {
        return switch (this) {
            case NEG -> -x;
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case TANH -> (float) Math.tanh(x);
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-x)));
            case RELU -> x > 0f ? x : 0f;
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> 1f / (float) Math.sqrt(x);
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            // log(1 + e^x) without overflow, and without losing e^x to rounding where it is tiny.
            case SOFTPLUS -> (float) (Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs((double) x))));
        };
    }
}
