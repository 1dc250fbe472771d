package org.panagrad.kernels;

/** The plain-loop twin of {@link LayerNormSimd}. */
public final class LayerNormScalar {
    private LayerNormScalar() {}

    public static void normalize(int rows, int n, float eps, float[] x, int xOff, float[] out, int outOff, boolean rstdOnly) {
        for (int r = 0; r < rows; r++) {
            int xi = xOff + r * n, oi = outOff + r * n;
            float sum = 0;
            for (int j = 0; j < n; j++) sum += x[xi + j];
            float mean = sum / n, squares = 0;
            for (int j = 0; j < n; j++) {
                float d = x[xi + j] - mean;
                squares += d * d;
            }
            float rstd = 1f / (float) Math.sqrt(squares / n + eps);
            if (rstdOnly) {
                out[outOff + r] = rstd;
                continue;
            }
            for (int j = 0; j < n; j++) out[oi + j] = (x[xi + j] - mean) * rstd;
        }
    }
}
