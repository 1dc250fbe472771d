package org.panagrad.kernels;

import java.util.Objects;

/**
 * A matrix operand of {@link Gemm#gemm}: row-major in {@code array} from {@code offset} on, its rows {@code ld}
 * (the leading dimension) floats apart, used as stored or {@code transposed}. A program builds its operands
 * once, when it is compiled; the product's sizes (m, n, k) say how much of each is read.
 */
public record GemmOperand(float[] array, int offset, int ld, boolean transposed) {
    public GemmOperand {
        Objects.requireNonNull(array, "GEMM operand array");
        if (offset < 0 || ld < 0) {
            throw new IllegalArgumentException("GEMM operand: offset " + offset + " and leading dimension " + ld
                    + " must not be negative");
        }
    }

    /** The matrix as stored. */
    public static GemmOperand of(float[] array, int offset, int ld) {
        return new GemmOperand(array, offset, ld, false);
    }

    /** The transpose of the matrix stored. */
    public static GemmOperand transposeOf(float[] array, int offset, int ld) {
        return new GemmOperand(array, offset, ld, true);
    }
}
