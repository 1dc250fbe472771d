package org.panagrad.kernels;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The direct products of convolutions with few channels, {@link FewRowsProduct} and {@link VectorColumnsProduct}: the
 * SIMD body against its scalar twin bit for bit, over row counts around the 8-, 4-, 2- and 1-row kernels, columns
 * around the two-vector blocks and depths around nothing, with row tables that jump about in B (or A); and the
 * twin against a float64 sum.
 */
class FewChannelProductsTest {
    private static final int[] ROWS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 23, 24, 33, 64};
    private static final int[] DEPTHS = {0, 1, 2, 7, 25, 66};

    @Test
    void fewRowsFromTheSimdBodyAreThoseOfTheScalarTwin() {
        Random rnd = new Random(11);
        int blocks = FewRowsProduct.COLUMNS;
        for (int m : ROWS) {
            for (int n : new int[] {1, 3, blocks - 1, blocks, blocks + 1, 2 * blocks + 5, 3 * blocks}) {
                for (int k : DEPTHS) {
                    int lda = k + 3, ldc = FewRowsProduct.paddedColumns(n) + 2;
                    float[] a = KernelTestSupport.random(rnd, 1 + m * lda, -1f, 1f);
                    int[] bRows = new int[k];
                    for (int p = 0; p < k; p++) bRows[p] = rnd.nextInt(40);
                    float[] b = KernelTestSupport.random(rnd, 40 + FewRowsProduct.paddedColumns(n), -1f, 1f);
                    float[] simd = new float[2 + m * ldc], scalar = new float[simd.length];
                    Arrays.fill(simd, Float.NaN);
                    Arrays.fill(scalar, Float.NaN);
                    FewRowsProduct.multiply(m, n, k, a, 1, lda, b, bRows, simd, 2, ldc, true);
                    FewRowsProduct.multiply(m, n, k, a, 1, lda, b, bRows, scalar, 2, ldc, false);
                    String what = "m " + m + " n " + n + " k " + k;
                    for (int r = 0; r < m; r++) {
                        for (int j = 0; j < n; j++) {
                            int ci = 2 + r * ldc + j;
                            assertEquals(Float.floatToIntBits(scalar[ci]), Float.floatToIntBits(simd[ci]), what + " at " + r + ", " + j);
                            double sum = 0;
                            for (int p = 0; p < k; p++) sum += (double) a[1 + r * lda + p] * b[bRows[p] + j];
                            assertEquals(sum, scalar[ci], 1e-4, what);
                        }
                        // Nothing past the padded columns of a row, nor before C.
                        for (int j = FewRowsProduct.paddedColumns(n); j < ldc; j++) assertEquals(Float.NaN, simd[2 + r * ldc + j], what);
                    }
                    assertEquals(Float.NaN, simd[1], what);
                }
            }
        }
    }

    /**
     * Widths of one to five vectors (odd ones end in a one-vector block; four and five vectors in blocks of six rows
     * as far as whole multiples of 24 rows go, the rows past them in blocks of eight), partial last vectors among
     * them, and A's rows read in one segment or in several, strides apart, element by element or every other element;
     * B's rows one after another or in segments with rows between them (a tap's rectangle of positions).
     */
    @Test
    void vectorColumnsFromTheSimdBodyAreThoseOfTheScalarTwin() {
        Random rnd = new Random(12);
        int lanes = VectorColumnsProduct.LANES;
        for (int kg : new int[] {1, 7, 8, 9, 25, 48, 150}) {
            int m = VectorColumnsProduct.paddedRows(kg);
            for (int length : DEPTHS) {
                for (int[] segments : new int[][] {{1, 0, 1, 0}, {3, length + 2, 1, 0}, {2, 0, 1, 3}, {3, 2 * length + 1, 2, 2}, {3, length + 2, 1, 5}}) {
                    int count = segments[0], stride = segments[1], step = segments[2], gap = segments[3];
                    int span = (count - 1) * stride + length * step;
                    for (int width : new int[] {1, lanes / 2 + 1, lanes, lanes + 1, 2 * lanes, 3 * lanes - 1, 4 * lanes, 5 * lanes}) {
                        int ld = VectorColumnsProduct.leadingDimension(width), bStride = (length + gap) * ld;
                        for (boolean accumulate : new boolean[] {false, true}) {
                            float[] a = KernelTestSupport.random(rnd, 1 + 60 + span, -1f, 1f);
                            int[] aRows = new int[m];
                            for (int r = 0; r < m; r++) aRows[r] = rnd.nextInt(60);
                            float[] b = KernelTestSupport.random(rnd, 3 + (count - 1) * bStride + length * ld, -1f, 1f);
                            float[] start = KernelTestSupport.random(rnd, 5 + m * ld + 2, -1f, 1f);
                            float[] simd = start.clone(), scalar = start.clone();
                            VectorColumnsProduct.multiply(m, count, length, stride, step, a, 1, aRows, b, 3, bStride, simd, 5, accumulate, width, true);
                            VectorColumnsProduct.multiply(m, count, length, stride, step, a, 1, aRows, b, 3, bStride, scalar, 5, accumulate, width, false);
                            String what = "rows " + m + " segments " + count + " x " + length + " stride " + stride + " step " + step + " B gap " + gap + " width " + width
                                    + (accumulate ? " accumulating" : "");
                            for (int r = 0; r < m; r++) {
                                for (int j = 0; j < width; j++) {
                                    int ci = 5 + r * ld + j;
                                    assertEquals(Float.floatToIntBits(scalar[ci]), Float.floatToIntBits(simd[ci]), what + " at " + r + ", " + j);
                                    double sum = accumulate ? start[ci] : 0;
                                    for (int sg = 0; sg < count; sg++) {
                                        for (int q = 0; q < length; q++) {
                                            sum += (double) a[1 + aRows[r] + sg * stride + q * step] * b[3 + sg * bStride + q * ld + j];
                                        }
                                    }
                                    assertEquals(sum, scalar[ci], 1e-4, what);
                                }
                            }
                            assertArrayEquals(Arrays.copyOf(start, 5), Arrays.copyOf(simd, 5), what + ": before C");
                            assertArrayEquals(Arrays.copyOfRange(start, 5 + m * ld, start.length),
                                    Arrays.copyOfRange(simd, 5 + m * ld, start.length), what + ": after C");
                        }
                    }
                }
            }
        }
    }
}
