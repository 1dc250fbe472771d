package org.panagrad.kernels;

/** Plain-loop twin of {@link DropoutMask}. */
final class DropoutMaskScalar {
    private DropoutMaskScalar() {}

    static void apply(int n, long key, int first, int threshold, float scale, float[] x, int xOff, float[] out, int outOff) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = CounterHash.bits24(key, first + i) >= threshold ? x[xOff + i] * scale : 0f;
        }
    }
}
