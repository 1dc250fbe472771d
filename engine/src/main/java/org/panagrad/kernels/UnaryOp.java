package org.panagrad.kernels;

/** The elementwise unary operations that {@link Elementwise#unary} applies. */
public enum UnaryOp {
    NEG, EXP, LOG, TANH, SIGMOID, RELU;

    public float apply(float x) {
        switch (this) {
            case NEG: return -x;
            case EXP: return (float) Math.exp(x);
            case LOG: return (float) Math.log(x);
            case TANH: return (float) Math.tanh(x);
            case SIGMOID: return (float) (1.0 / (1.0 + Math.exp(-x)));
            default: return x > 0f ? x : 0f;
        }
    }
}
