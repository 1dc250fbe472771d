package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of {@link Layout}: vector copies along contiguous runs, gathers (one vector of elements a
 * fixed stride apart, then one contiguous store) where only the destination is contiguous, scalar tails.
 */
final class LayoutSimd {
    private LayoutSimd() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * Columns of a transpose done per pass over its rows: the source lines they read (64 x 64 bytes) stay in L1
     * while the pass moves down the rows.
     */
    static final int TILE = 64;

    static void rows(int rows, int len, float[] src, int s, int srs, float[] dst, int d, int drs) {
        int bound = F.loopBound(len);
        for (int r = 0; r < rows; r++, s += srs, d += drs) {
            int j = 0;
            for (; j < bound; j += F.length()) FloatVector.fromArray(F, src, s + j).intoArray(dst, d + j);
            for (; j < len; j++) dst[d + j] = src[s + j];
        }
    }

    /** dst[d + i * dStride + j] = src[s + i + j * sStride] for i < p, j < len. */
    static void transpose(int p, int len, float[] src, int s, int sStride, float[] dst, int d, int dStride,
                          int[] gather) {
        int lanes = F.length();
        for (int j0 = 0; j0 < len; j0 += TILE) {
            int j1 = Math.min(len, j0 + TILE), vectors = j0 + (j1 - j0) / lanes * lanes;
            for (int i = 0; i < p; i++) {
                int si = s + i + j0 * sStride, di = d + i * dStride, j = j0;
                for (; j < vectors; j += lanes, si += lanes * sStride) {
                    FloatVector.fromArray(F, src, si, gather, 0).intoArray(dst, di + j);
                }
                for (; j < j1; j++, si += sStride) dst[di + j] = src[si];
            }
        }
    }

    static void strided(int rows, int len, float[] src, int s, int srs, int sStride, float[] dst, int d, int drs,
                        int dStride, int[] gather) {
        int lanes = F.length(), vectors = gather == null ? 0 : F.loopBound(len);
        for (int r = 0; r < rows; r++, s += srs, d += drs) {
            int j = 0;
            for (; j < vectors; j += lanes) FloatVector.fromArray(F, src, s + j * sStride, gather, 0).intoArray(dst, d + j);
            for (; j < len; j++) dst[d + j * dStride] = src[s + j * sStride];
        }
    }

    static void gatherRows(int n, int rowLen, float[] table, int t, float[] indices, int io, float[] out, int o) {
        int bound = F.loopBound(rowLen);
        for (int i = 0; i < n; i++, o += rowLen) {
            int row = t + (int) indices[io + i] * rowLen, j = 0;
            for (; j < bound; j += F.length()) FloatVector.fromArray(F, table, row + j).intoArray(out, o + j);
            for (; j < rowLen; j++) out[o + j] = table[row + j];
        }
    }

    static void scatterAddRows(int n, int rowLen, float[] g, int go, float[] indices, int io, int rows, float[] out,
                               int o) {
        ElementwiseSimd.fill(rows * rowLen, 0f, out, o);
        int bound = F.loopBound(rowLen);
        for (int i = 0; i < n; i++, go += rowLen) {
            int row = o + (int) indices[io + i] * rowLen, j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector.fromArray(F, out, row + j).add(FloatVector.fromArray(F, g, go + j)).intoArray(out, row + j);
            }
            for (; j < rowLen; j++) out[row + j] += g[go + j];
        }
    }
}
