package org.panagrad.kernels;

/**
 * What {@link Gemm#gemm} does to each element of C after {@code alpha * op(A) op(B) + beta * C}, in this order:
 * add {@code bias[biasOffset + j]} to column j (when {@code bias} is not null), take the ReLU (when
 * {@code relu}), and zero the element where {@code mask} (laid out like C, from {@code maskOffset} on, with C's
 * leading dimension; may be null) is not positive: ReLU's backward. The mask may be C's own array when
 * {@link Gemm#writesEachOutputOnce} holds for k: the gradient then takes over the activation's memory.
 * A program builds it once, when it is compiled. alpha and beta are not part of it: optimizers change them from
 * step to step (the learning rate), and a new epilogue per call would allocate.
 */
public record GemmEpilogue(float[] bias, int biasOffset, boolean relu, float[] mask, int maskOffset) {
    /** C = alpha * op(A) op(B) + beta * C and nothing more. */
    public static final GemmEpilogue NONE = new GemmEpilogue(null, 0, false, null, 0);

    public GemmEpilogue {
        if (biasOffset < 0 || maskOffset < 0) {
            throw new IllegalArgumentException("GEMM epilogue: bias offset " + biasOffset + " and mask offset "
                    + maskOffset + " must not be negative");
        }
    }
}
