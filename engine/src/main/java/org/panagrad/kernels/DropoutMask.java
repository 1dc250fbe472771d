package org.panagrad.kernels;

/**
 * Inverted dropout with a counter-based mask: element i of a pass keyed {@code key} is kept, and scaled by
 * {@code scale} = 1 / (1 - p), when {@link CounterHash#bits24}(key, i) is at least {@code threshold} = p * 2^24;
 * otherwise it is zero. The mask is never stored: the backward pass draws the same bits again.
 */
public final class DropoutMask {
    private DropoutMask() {}

    /** The threshold of 24-bit draws below which an element drops, for a probability p in [0, 1). */
    public static int threshold(double p) {
        return (int) Math.round(p * (1 << 24));
    }

    /** out[i] = keep(first + i) ? x[i] * scale : 0 for n elements. */
    public static void apply(int n, long key, int first, int threshold, float scale, float[] x, int xOff,
                             float[] out, int outOff) {
        if (Simd.ENABLED) DropoutMaskSimd.apply(n, key, first, threshold, scale, x, xOff, out, outOff);
        else DropoutMaskScalar.apply(n, key, first, threshold, scale, x, xOff, out, outOff);
    }
}
