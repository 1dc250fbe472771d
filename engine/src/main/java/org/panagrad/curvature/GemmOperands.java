package org.panagrad.curvature;

import org.panagrad.kernels.GemmOperand;

/**
 * GEMM operands kept between calls, slot by slot, for code that multiplies the same arrays at the same offsets
 * call after call (the Laplace predictives' logit covariance, per batch): a slot's record is made again only when
 * its array, offset, leading dimension or transpose changes, so steady calls allocate nothing ({@link GemmOperand}
 * records made per call are not always scalar-replaced by C2). {@link #FRESH} keeps nothing: a new record per use.
 */
final class GemmOperands {
    static final GemmOperands FRESH = new GemmOperands(false);

    private final boolean keep;
    private GemmOperand[] slots = new GemmOperand[0];

    GemmOperands() {
        this(true);
    }

    private GemmOperands(boolean keep) {
        this.keep = keep;
    }

    GemmOperand of(int slot, float[] array, int offset, int ld) {
        return get(slot, array, offset, ld, false);
    }

    GemmOperand transposeOf(int slot, float[] array, int offset, int ld) {
        return get(slot, array, offset, ld, true);
    }

    private GemmOperand get(int slot, float[] array, int offset, int ld, boolean transposed) {
        if (!keep) return new GemmOperand(array, offset, ld, transposed);
        if (slot >= slots.length) slots = java.util.Arrays.copyOf(slots, Math.max(slot + 1, 2 * slots.length));
        GemmOperand o = slots[slot];
        if (o == null || o.array() != array || o.offset() != offset || o.ld() != ld || o.transposed() != transposed) {
            slots[slot] = o = new GemmOperand(array, offset, ld, transposed);
        }
        return o;
    }
}
