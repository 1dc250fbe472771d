package org.panagrad.kernels;


/** The elementwise unary operations that {@link Elementwise#unary} applies. */
public enum UnaryOp {
    NEG, EXP, LOG, TANH, SIGMOID, RELU, SQRT, RSQRT, ABS, SIGN, SOFTPLUS, ERF, GELU, GELU_TANH, GELU_SLOPE, GELU_CURVATURE;

    private static final double SQRT_HALF = Math.sqrt(0.5), SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI), DENSITY_BOUND = 12;

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
            // The twins run VectorMath's erfc fit in double; Commons Math's erf/erfc, the tests' reference, allocate.
            case ERF -> (float) VectorMath.erf(x);
            // x Phi(x) = x erfc(-x / sqrt 2) / 2: erfc keeps Phi's relative accuracy in the left tail.
            case GELU -> (float) (x * 0.5 * VectorMath.erfc(-x * SQRT_HALF));
            // x (1 + tanh u) / 2 as x / (1 + e^-2u): 1 + tanh u cancels to 0 in the left tail.
            case GELU_TANH -> (float) (x / (1 + Math.exp(-2 * SQRT_2_OVER_PI * (x + 0.044715 * x * (double) x * x))));
            // The exact GELU's derivatives, Phi(x) + x phi(x) and phi(x) (2 - x^2), the terms with the density taken
            // as 0 beyond |x| = 12 (phi < 3e-32), as VectorMath does (normal floats, and limits at the infinities).
            case GELU_SLOPE -> (float) (0.5 * VectorMath.erfc(-x * SQRT_HALF) + (Math.abs(x) > DENSITY_BOUND ? 0 : x * density(x)));
            case GELU_CURVATURE -> Math.abs(x) > DENSITY_BOUND ? 0f : (float) (density(x) * (2 - x * (double) x));
        };
    }

    private static double density(float x) {
        return INV_SQRT_2PI * Math.exp(-0.5 * x * (double) x);
    }
}
