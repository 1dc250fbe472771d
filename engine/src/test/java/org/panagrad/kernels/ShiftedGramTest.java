package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShiftedGramTest {
    /**
     * The input factor of stride-1 convolutions at awkward sizes (planes shorter and longer than a vector, padding,
     * dilation with and without windows sharing rows or columns, one channel and several, channels and columns around
     * the 3 x 5 tiles, one tap, lenet5's two layers at a small batch), with and without the ones row: the SIMD body
     * equals its scalar twin bit for bit on
     * one and on two threads, is symmetric, within float rounding of the float64 sum over the unfolded patches, and
     * writes nothing outside C.
     */
    @ParameterizedTest
    @CsvSource({
            // batch, channels, height, width, kh, kw, padH, padW, dilationH, dilationW
            "1, 1, 3, 3, 2, 2, 0, 0, 1, 1",
            "3, 1, 28, 28, 5, 5, 2, 2, 1, 1",
            "13, 6, 14, 14, 5, 5, 0, 0, 1, 1",
            "2, 3, 7, 9, 3, 2, 1, 0, 2, 1",
            "4, 2, 5, 17, 1, 3, 0, 1, 1, 3",
            "5, 4, 6, 6, 1, 1, 0, 0, 1, 1",
            "300, 1, 4, 5, 3, 3, 1, 1, 1, 1",
            "3, 7, 9, 8, 3, 4, 1, 2, 1, 1",
            "2, 2, 11, 12, 3, 3, 0, 0, 4, 5",
            "2, 5, 1, 20, 1, 7, 0, 3, 1, 2",
            "1, 4, 16, 3, 4, 1, 2, 0, 2, 1"})
    void simdBodyEqualsItsTwinOnAnyThreadsAndTheFloat64Sum(int batch, int channels, int height, int width, int kh, int kw,
                                                           int padH, int padW, int dilationH, int dilationW) {
        ConvShape s = new ConvShape(batch, channels, height, width, 1, kh, kw, 1, 1, padH, padW, dilationH, dilationW, 1);
        assertTrue(ShiftedGram.applies(s), s + " is taken here");
        Random rnd = new Random(batch * 31L + channels * 7L + height);
        int xOff = 3, cOff = 2;
        float[] x = KernelTestSupport.random(rnd, xOff + batch * s.imageSize() + 5, -1f, 1f);
        for (boolean ones : new boolean[] {false, true}) {
            int n = ShiftedGram.rows(s, ones);
            float[] twin = new float[cOff + n * n + 3];
            Arrays.fill(twin, Float.NaN);
            ShiftedGram.scalar(s, ones, x, xOff, twin, cOff);
            double[][] patches = patches(s, x, xOff, ones);
            String what = s + (ones ? " with ones" : "");
            for (int threads : new int[] {1, 2}) {
                float[] c = new float[twin.length];
                Arrays.fill(c, Float.NaN);
                int before = Gemm.threads();
                Gemm.setThreads(threads);
                try {
                    ShiftedGram.gram(s, ones, x, xOff, c, cOff);
                } finally {
                    Gemm.setThreads(before);
                }
                for (int idx = 0; idx < c.length; idx++) {
                    if (idx < cOff || idx >= cOff + n * n) {
                        assertEquals(Float.NaN, c[idx], what + ": wrote outside C at " + idx);
                        continue;
                    }
                    int i = (idx - cOff) / n, j = (idx - cOff) % n;
                    assertEquals(twin[idx], c[idx], 0f, what + ", " + threads + " thread(s): SIMD against its twin at " + i + "," + j);
                    assertEquals(c[cOff + j * n + i], c[idx], 0f, what + ": not symmetric at " + i + "," + j);
                    double sum = 0, size = 0;
                    for (int p = 0; p < patches[i].length; p++) {
                        sum += patches[i][p] * patches[j][p];
                        size += Math.abs(patches[i][p] * patches[j][p]);
                    }
                    assertTrue(Math.abs(c[idx] - sum) <= (patches[i].length + 2) * 0x1p-23 * size + 1e-7,
                            what + " at " + i + "," + j + ": " + c[idx] + ", float64 " + sum);
                }
            }
        }
    }

    /** The unfolded patches as rows over the batch and positions (zeros in the padding), and a row of ones. */
    private static double[][] patches(ConvShape s, float[] x, int xOff, boolean ones) {
        int k = s.patchRows(), columns = s.batch() * s.positions();
        double[][] v = new double[k + (ones ? 1 : 0)][columns];
        for (int b = 0; b < s.batch(); b++) {
            for (int c = 0; c < s.channels(); c++) {
                for (int i = 0; i < s.kh(); i++) {
                    for (int j = 0; j < s.kw(); j++) {
                        for (int r = 0; r < s.outHeight(); r++) {
                            for (int q = 0; q < s.outWidth(); q++) {
                                int ih = r + i * s.dilationH() - s.padH(), iw = q + j * s.dilationW() - s.padW();
                                boolean inside = ih >= 0 && ih < s.height() && iw >= 0 && iw < s.width();
                                v[(c * s.kh() + i) * s.kw() + j][b * s.positions() + r * s.outWidth() + q] =
                                        inside ? x[xOff + ((b * s.channels() + c) * s.height() + ih) * s.width() + iw] : 0;
                            }
                        }
                    }
                }
            }
        }
        if (ones) Arrays.fill(v[k], 1);
        return v;
    }

    /**
     * Values in the image next to the positions (the columns past a row's last window, read by the runs and masked)
     * do not reach C, even when they are infinite or NaN: the factor of an image whose last columns are not
     * reached by any window equals that of the same image with those columns zero.
     */
    @Test
    void columnsNoWindowReachesDoNotReachTheFactor() {
        // 2 x 2 windows at dilation 3 on width 5: output width 2, windows read columns 0, 1, 3, 4; column 2 is
        // read by the runs (as the wrap of each row) and by no window.
        ConvShape s = new ConvShape(2, 2, 4, 5, 1, 2, 2, 1, 1, 0, 0, 1, 3, 1);
        Random rnd = new Random(9);
        float[] clean = KernelTestSupport.random(rnd, s.batch() * s.imageSize(), -1f, 1f);
        for (int p = 0; p < clean.length; p += s.width()) clean[p + 2] = 0f;
        float[] dirty = clean.clone();
        for (int p = 0, v = 0; p < dirty.length; p += s.width(), v++) {
            dirty[p + 2] = v % 3 == 0 ? Float.NaN : v % 3 == 1 ? Float.POSITIVE_INFINITY : 1e30f;
        }
        int n = ShiftedGram.rows(s, true);
        float[] expected = new float[n * n], actual = new float[n * n], twin = new float[n * n];
        ShiftedGram.gram(s, true, clean, 0, expected, 0);
        ShiftedGram.gram(s, true, dirty, 0, actual, 0);
        ShiftedGram.scalar(s, true, dirty, 0, twin, 0);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Float.isFinite(actual[i]), "entry " + i + " is " + actual[i]);
            assertEquals(expected[i], actual[i], 0f, "entry " + i);
            assertEquals(expected[i], twin[i], 0f, "twin, entry " + i);
        }
    }

    /** Strides and groups are not runs of the image: refused, with the shape named. */
    @Test
    void stridedOrGroupedConvolutionsAreRefused() {
        ConvShape strided = new ConvShape(1, 2, 6, 6, 2, 3, 3, 2, 2, 0, 0, 1, 1, 1);
        ConvShape grouped = new ConvShape(1, 2, 6, 6, 2, 3, 3, 1, 1, 0, 0, 1, 1, 2);
        assertFalse(ShiftedGram.applies(strided));
        assertFalse(ShiftedGram.applies(grouped));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShiftedGram.gram(strided, false, new float[72], 0, new float[324], 0));
        assertTrue(e.getMessage().contains("stride"), e.getMessage());
    }
}
