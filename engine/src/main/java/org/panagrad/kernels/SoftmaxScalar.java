package org.panagrad.kernels;

/**
 * Plain-loop twins of {@link Softmax}, numerically stabilised by the maximum. Each works line by line: the
 * elements of one position along the axis, {@code stride} (the inner size) apart.
 */
public final class SoftmaxScalar {
    private SoftmaxScalar() {}

    public static void softmax(Axis ax, float[] x, int xOff, float[] out, int outOff) {
        int n = ax.length(), st = ax.inner();
        for (int o = 0; o < ax.outer(); o++) {
            for (int j = 0; j < st; j++) {
                int at = o * n * st + j;
                softmaxLine(n, st, x, xOff + at, out, outOff + at);
            }
        }
    }

    public static void logSoftmax(Axis ax, float[] x, int xOff, float[] out, int outOff) {
        int n = ax.length(), st = ax.inner();
        for (int o = 0; o < ax.outer(); o++) {
            for (int j = 0; j < st; j++) {
                int xi = xOff + o * n * st + j, oi = outOff + o * n * st + j;
                float lse = logSumExp(n, st, x, xi);
                for (int c = 0; c < n; c++) out[oi + c * st] = x[xi + c * st] - lse;
            }
        }
    }

    public static float crossEntropyMean(Axis ax, int ignoreIndex, float[] z, int zOff, float[] labels, int labelsOff) {
        int n = ax.length(), st = ax.inner(), count = 0;
        double total = 0;
        for (int o = 0; o < ax.outer(); o++) {
            for (int j = 0; j < st; j++) {
                int label = (int) labels[labelsOff + o * st + j];
                if (label == ignoreIndex) continue;
                int zi = zOff + o * n * st + j;
                total += logSumExp(n, st, z, zi) - z[zi + label * st];
                count++;
            }
        }
        return (float) (total / count);
    }

    public static void crossEntropyGrad(Axis ax, int ignoreIndex, float scale, float[] z, int zOff,
                                        float[] labels, int labelsOff, float[] out, int outOff) {
        int n = ax.length(), st = ax.inner();
        for (int o = 0; o < ax.outer(); o++) {
            for (int j = 0; j < st; j++) {
                int label = (int) labels[labelsOff + o * st + j];
                int zi = zOff + o * n * st + j, oi = outOff + o * n * st + j;
                if (label == ignoreIndex) {
                    for (int c = 0; c < n; c++) out[oi + c * st] = 0f;
                    continue;
                }
                softmaxLine(n, st, z, zi, out, oi);
                out[oi + label * st] -= 1f;
                for (int c = 0; c < n; c++) out[oi + c * st] *= scale;
            }
        }
    }

    private static void softmaxLine(int n, int stride, float[] x, int xi, float[] out, int oi) {
        float max = lineMax(n, stride, x, xi);
        float sum = 0f;
        for (int c = 0; c < n; c++) {
            float e = (float) Math.exp(x[xi + c * stride] - max);
            out[oi + c * stride] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int c = 0; c < n; c++) out[oi + c * stride] *= inv;
    }

    static float lineMax(int n, int stride, float[] x, int xi) {
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) max = Math.max(max, x[xi + c * stride]);
        return max;
    }

    static float logSumExp(int n, int stride, float[] x, int xi) {
        float max = lineMax(n, stride, x, xi);
        float sum = 0f;
        for (int c = 0; c < n; c++) sum += (float) Math.exp(x[xi + c * stride] - max);
        return max + (float) Math.log(sum);
    }
}
