package org.panagrad.kernels;

/**
 * Layer normalisation of contiguous rows: out = (x - mean) / sqrt(var + eps) per row of n elements, the biased
 * variance (PyTorch's), computed in two passes (the mean, then the squares about it) so that rows far from 0
 * lose nothing to cancellation. Each row is read whole before it is written, so out may be x.
 */
public final class LayerNorm {
    private LayerNorm() {}

    public static void normalize(int rows, int n, float eps, float[] x, int xOff, float[] out, int outOff) {
        run(rows, n, eps, x, xOff, out, outOff, false);
    }

    /** out[outOff + r] = 1 / sqrt(var + eps) of row r, the statistics {@link #normalize} computes (the same bits). */
    public static void reciprocalStd(int rows, int n, float eps, float[] x, int xOff, float[] out, int outOff) {
        run(rows, n, eps, x, xOff, out, outOff, true);
    }

    private static void run(int rows, int n, float eps, float[] x, int xOff, float[] out, int outOff, boolean rstdOnly) {
        if (Simd.ENABLED && n >= VectorMath.F.length()) LayerNormSimd.normalize(rows, n, eps, x, xOff, out, outOff, rstdOnly);
        else LayerNormScalar.normalize(rows, n, eps, x, xOff, out, outOff, rstdOnly);
    }
}
