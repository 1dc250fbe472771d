package org.panagrad.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link ShortRows}: the row lands whole, and past it nothing is written beyond what each copy allows (the limit;
 * one vector of zeros after a row among zeros), including at the ends of the arrays, where it falls back.
 */
class ShortRowsTest {
    private static final int[] LENGTHS = {0, 1, 7, 8, 9, 14, 15, 16, 17, 28, 31, 32, 33};

    @Test
    void copiesStopAtTheirLimit() {
        Random rnd = new Random(21);
        int lanes = Simd.FLOAT.length();
        for (int len : LENGTHS) {
            for (int room : new int[] {0, 1, lanes - 1, lanes, 2 * lanes}) {
                float[] src = KernelTestSupport.random(rnd, 3 + len + room, -1f, 1f);
                int limit = 5 + len + room;
                float[] dst = new float[limit + 2 * lanes], biased = dst.clone();
                java.util.Arrays.fill(dst, Float.NaN);
                java.util.Arrays.fill(biased, Float.NaN);
                ShortRows.copy(src, 3, dst, 5, len, limit);
                ShortRows.copyBiased(src, 3, biased, 5, len, 0.25f, true, limit);
                String what = "length " + len + " room " + room;
                for (int q = 0; q < len; q++) {
                    assertEquals(src[3 + q], dst[5 + q], what);
                    assertEquals(Math.max(src[3 + q] + 0.25f, 0f), biased[5 + q], what);
                }
                for (int i = 0; i < 5; i++) assertEquals(Float.NaN, dst[i], what + ": before the row");
                for (int i = limit; i < dst.length; i++) {
                    assertEquals(Float.NaN, dst[i], what + ": past the limit");
                    assertEquals(Float.NaN, biased[i], what + ": past the limit, biased");
                }
            }
        }
    }

    @Test
    void aRowAmongZerosLeavesZerosAfterIt() {
        Random rnd = new Random(22);
        int lanes = Simd.FLOAT.length();
        for (int len : LENGTHS) {
            for (int tail : new int[] {0, 1, lanes - 1, lanes, 3 * lanes}) {
                float[] src = KernelTestSupport.random(rnd, 2 + len + tail, -1f, 1f);
                float[] dst = new float[4 + len + tail];
                java.util.Arrays.fill(dst, Float.NaN);
                ShortRows.copyAmongZeros(src, 2, dst, 4, len);
                String what = "length " + len + " tail " + tail;
                for (int q = 0; q < len; q++) assertEquals(src[2 + q], dst[4 + q], what);
                boolean vectors = tail >= lanes;
                for (int i = 4 + len; i < dst.length; i++) {
                    // Whole vectors (room for the zeros after the row): zeros over one vector after it, then nothing.
                    float expected = vectors && i < 4 + len + lanes ? 0f : Float.NaN;
                    assertEquals(expected, dst[i], what + " at " + i);
                }
                for (int i = 0; i < 4; i++) assertEquals(Float.NaN, dst[i], what + ": before the row");
            }
        }
    }
}
