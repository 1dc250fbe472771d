package org.panagrad.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

/** Layer normalisation's SIMD body against its scalar twin and a float64 loop, over awkward row lengths. */
class LayerNormTest {
    static java.util.stream.IntStream sizes() {
        return KernelTestSupport.sizes();
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void simdMatchesScalarAndDouble(int n) {
        Random rnd = new Random(n);
        int rows = 3, off = 5;
        float[] x = random(rnd, off + rows * n, -3f, 5f);
        float[] want = new float[off + rows * n], got = new float[off + rows * n];
        LayerNormScalar.normalize(rows, n, 1e-5f, x, off, want, off, false);
        LayerNormSimd.normalize(rows, n, 1e-5f, x, off, got, off, false);
        assertClose(want, got, 1e-5f, 1e-5f, "layer norm of rows of " + n);
        for (int r = 0; r < rows; r++) {
            double mean = 0, sq = 0;
            for (int j = 0; j < n; j++) mean += x[off + r * n + j];
            mean /= n;
            for (int j = 0; j < n; j++) sq += Math.pow(x[off + r * n + j] - mean, 2);
            double rstd = 1 / Math.sqrt(sq / n + 1e-5);
            for (int j = 0; j < n; j++) {
                assertEquals((x[off + r * n + j] - mean) * rstd, got[off + r * n + j], 2e-5, "row " + r + " at " + j);
            }
        }
    }

    /**
     * The statistic alone (rstdOnly), near float64's in both bodies; in the scalar body, the factor its normalisation
     * scales by, to the bit.
     */
    @ParameterizedTest
    @MethodSource("sizes")
    void reciprocalStdIsTheNormalisationsStatistic(int n) {
        Random rnd = new Random(n + 1);
        int rows = 3, off = 5;
        float[] x = random(rnd, off + rows * n, -3f, 5f);
        for (boolean simd : new boolean[] {false, true}) {
            if (simd && n < VectorMath.F.length()) continue;
            float[] y = new float[off + rows * n], rstd = new float[off + rows];
            if (simd) {
                LayerNormSimd.normalize(rows, n, 1e-5f, x, off, y, off, false);
                LayerNormSimd.normalize(rows, n, 1e-5f, x, off, rstd, off, true);
            } else {
                LayerNormScalar.normalize(rows, n, 1e-5f, x, off, y, off, false);
                LayerNormScalar.normalize(rows, n, 1e-5f, x, off, rstd, off, true);
            }
            for (int r = 0; r < rows; r++) {
                double mean = 0, sq = 0;
                for (int j = 0; j < n; j++) mean += x[off + r * n + j];
                mean /= n;
                for (int j = 0; j < n; j++) sq += Math.pow(x[off + r * n + j] - mean, 2);
                assertEquals(1 / Math.sqrt(sq / n + 1e-5), rstd[off + r], 1e-5 / Math.sqrt(sq / n + 1e-5), "rstd of row " + r);
                if (!simd) { // the first element's deviation from the float mean, times that rstd, is y's first element
                    float sum = 0;
                    int j0 = off + r * n;
                    for (int j = 0; j < n; j++) sum += x[j0 + j];
                    assertEquals((x[j0] - sum / n) * rstd[off + r], y[j0], 0f, "row " + r);
                }
            }
        }
    }

    @Test
    void rowsFarFromZeroKeepTheirVariance() {
        int n = 64;
        float[] x = new float[n], out = new float[n];
        for (int j = 0; j < n; j++) x[j] = 1000f + (j % 2 == 0 ? 0.5f : -0.5f);
        LayerNorm.normalize(1, n, 0f, x, 0, out, 0);
        for (int j = 0; j < n; j++) assertEquals(j % 2 == 0 ? 1f : -1f, out[j], 1e-4f, "at " + j);
    }

    @Test
    void inPlace() {
        Random rnd = new Random(3);
        float[] x = random(rnd, 4 * 33, -1f, 1f), want = new float[x.length];
        LayerNorm.normalize(4, 33, 1e-6f, x, 0, want, 0);
        LayerNorm.normalize(4, 33, 1e-6f, x, 0, x, 0);
        org.junit.jupiter.api.Assertions.assertArrayEquals(want, x);
    }
}
