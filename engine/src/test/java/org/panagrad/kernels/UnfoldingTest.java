package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UnfoldingTest {
    @AfterEach
    void restoreThreads() {
        Gemm.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /**
     * The split unfoldEqualsTheTaps checks on two threads happens: lenet5's conv2 patches at batch 8 and 128 are
     * shared out over two threads (and over at most one part per image), the small cases and one thread run whole.
     */
    @Test
    void largeBatchesAreSplitOverThreads() {
        ConvShape lenet5Conv2 = shape(8), lenet5Conv2At128 = shape(128), oneImage = shape(1);
        assertEquals(2, Unfolding.parts(lenet5Conv2, 2));
        assertEquals(2, Unfolding.parts(lenet5Conv2At128, 2));
        assertEquals(3, Unfolding.parts(lenet5Conv2At128, 3));
        assertEquals(1, Unfolding.parts(lenet5Conv2At128, 1));
        assertEquals(1, Unfolding.parts(oneImage, 2), "one image of 15,000 floats stays on one thread");
        assertEquals(1, Unfolding.parts(new ConvShape(2, 1, 28, 28, 1, 5, 5, 1, 1, 0, 0, 1, 1, 1), 2), "2 x 576 x 25 floats");
    }

    /** lenet5's second convolution (6 -> 16 channels, 5 x 5, on 14 x 14) at a batch size: 150 x 100 patch rows per image. */
    private static ConvShape shape(int batch) {
        return new ConvShape(batch, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1);
    }

    /**
     * The SIMD body and the scalar twin against a plain loop over the taps, for strides, padding, dilation and
     * groups, at widths around the vector lengths, on 1 and 2 threads (images split over the worker pool above
     * its threshold: the same bits as one thread); the output starts at an offset and nothing around it is written.
     */
    @ParameterizedTest
    @CsvSource({
            // batch, channels, height, width, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, groups
            "2, 1, 28, 28, 5, 5, 1, 1, 0, 0, 1, 1, 1",
            "3, 6, 14, 14, 5, 5, 1, 1, 0, 0, 1, 1, 1",
            "2, 4, 9, 17, 3, 3, 2, 2, 1, 1, 1, 1, 2",
            "1, 3, 7, 33, 3, 2, 1, 2, 2, 1, 2, 1, 3",
            "2, 2, 5, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1",
            "1, 4, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 4",
            "8, 6, 14, 14, 5, 5, 1, 1, 0, 0, 1, 1, 2",
            "128, 6, 14, 14, 5, 5, 1, 1, 0, 0, 1, 1, 1"})
    void unfoldEqualsTheTaps(int batch, int channels, int height, int width, int kh, int kw, int strideH, int strideW,
                             int padH, int padW, int dilationH, int dilationW, int groups) {
        int k = channels / groups * kh * kw;
        ConvShape s = new ConvShape(batch, channels, height, width, groups * k, kh, kw, strideH, strideW, padH, padW,
                dilationH, dilationW, groups);
        float[] x = KernelTestSupport.random(new Random(channels * 7L + width), 3 + batch * s.imageSize(), -1f, 1f);
        int size = batch * groups * k * s.positions(), yOff = 4;
        float[] expected = new float[yOff + size + 3];
        Arrays.fill(expected, Float.NaN);
        Arrays.fill(expected, yOff, yOff + size, 0f);
        int cg = channels / groups;
        for (int n = 0; n < batch; n++) {
            for (int g = 0; g < groups; g++) {
                for (int c = 0; c < cg; c++) {
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int row = (n * groups + g) * k + (c * kh + i) * kw + j;
                            for (int r = 0; r < s.outHeight(); r++) {
                                for (int q = 0; q < s.outWidth(); q++) {
                                    int ih = r * strideH + i * dilationH - padH, iw = q * strideW + j * dilationW - padW;
                                    if (ih < 0 || ih >= height || iw < 0 || iw >= width) continue;
                                    expected[yOff + row * s.positions() + r * s.outWidth() + q] =
                                            x[3 + ((n * channels + g * cg + c) * height + ih) * width + iw];
                                }
                            }
                        }
                    }
                }
            }
        }
        for (int threads : new int[] {1, 2}) {
            Gemm.setThreads(threads);
            for (boolean simd : new boolean[] {true, false}) {
                float[] y = new float[expected.length];
                Arrays.fill(y, Float.NaN);
                Unfolding.unfold(s, x, 3, y, yOff, simd);
                assertArrayEquals(expected, y, (simd ? "SIMD" : "scalar") + " unfold of " + s + " on " + threads + " thread(s)");
                // Channel-major: patch row r of image n at ((r * batch) + n) * positions.
                float[] byRow = new float[expected.length], rowsExpected = expected.clone();
                int rows = groups * k, positions = s.positions();
                for (int n = 0; n < batch; n++) {
                    for (int r = 0; r < rows; r++) {
                        System.arraycopy(expected, yOff + (n * rows + r) * positions, rowsExpected, yOff + (r * batch + n) * positions, positions);
                    }
                }
                Arrays.fill(byRow, Float.NaN);
                Unfolding.unfoldChannelMajor(s, x, 3, byRow, yOff, simd);
                assertArrayEquals(rowsExpected, byRow, (simd ? "SIMD" : "scalar") + " channel-major unfold of " + s + " on " + threads + " thread(s)");
            }
        }
    }
}
