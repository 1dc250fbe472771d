package org.panagrad.kernels;

/** Plain-loop twins of {@link LayoutSimd}; the element-by-element strided copy is the only body for both. */
final class LayoutScalar {
    private LayoutScalar() {}

    static void rows(int rows, int len, float[] src, int s, int srs, float[] dst, int d, int drs) {
        for (int r = 0; r < rows; r++, s += srs, d += drs) {
            for (int j = 0; j < len; j++) dst[d + j] = src[s + j];
        }
    }

    /** Columns of a transpose done per pass over its rows: the source lines they read stay in L1 meanwhile. */
    private static final int TILE = 64;

    static void transpose(int p, int len, float[] src, int s, int sStride, float[] dst, int d, int dStride) {
        for (int j0 = 0; j0 < len; j0 += TILE) {
            int j1 = Math.min(len, j0 + TILE);
            for (int i = 0; i < p; i++) {
                int si = s + i + j0 * sStride, di = d + i * dStride;
                for (int j = j0; j < j1; j++, si += sStride) dst[di + j] = src[si];
            }
        }
    }

    static void strided(int rows, int len, float[] src, int s, int srs, int sStride, float[] dst, int d, int drs,
                        int dStride) {
        for (int r = 0; r < rows; r++, s += srs, d += drs) {
            for (int j = 0; j < len; j++) dst[d + j * dStride] = src[s + j * sStride];
        }
    }

    static void gatherRows(int n, int rowLen, float[] table, int t, float[] indices, int io, float[] out, int o) {
        for (int i = 0; i < n; i++, o += rowLen) {
            int row = t + (int) indices[io + i] * rowLen;
            for (int j = 0; j < rowLen; j++) out[o + j] = table[row + j];
        }
    }

    static void scatterAddRows(int n, int rowLen, float[] g, int go, float[] indices, int io, int rows, float[] out,
                               int o) {
        for (int i = 0; i < rows * rowLen; i++) out[o + i] = 0f;
        for (int i = 0; i < n; i++, go += rowLen) {
            int row = o + (int) indices[io + i] * rowLen;
            for (int j = 0; j < rowLen; j++) out[row + j] += g[go + j];
        }
    }
}
