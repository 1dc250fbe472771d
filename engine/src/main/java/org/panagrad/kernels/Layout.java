package org.panagrad.kernels;

/**
 * Layout kernels: strided copies (permute, slice, padding, concat: {@link StridedCopy}) and the row gather of an
 * embedding lookup with its scatter-add adjoint. The walk over the outer axes is shared; each inner loop
 * dispatches to a Vector API body or its scalar twin ({@code -Dpanagrad.simd=false}). Source and destination
 * must not overlap.
 */
public final class Layout {
    private Layout() {}

    /** Copies the plan's index space from {@code src[srcOff...]} to {@code dst[dstOff...]}. */
    public static void copy(StridedCopy plan, float[] src, int srcOff, float[] dst, int dstOff) {
        copy(plan, Simd.ENABLED, src, srcOff, dst, dstOff);
    }

    /** {@link #copy} with the body chosen by the caller (tests run both). */
    static void copy(StridedCopy plan, boolean simd, float[] src, int srcOff, float[] dst, int dstOff) {
        walk(plan, simd, 0, src, srcOff, dst, dstOff);
    }

    // Recursion over the outer axes (at most 6 deep): no counters to allocate, and the inner loop gets whole rows.
    private static void walk(StridedCopy p, boolean simd, int level, float[] src, int s, float[] dst, int d) {
        if (level < p.outer.length) {
            int a = p.outer[level], n = p.dims[a], ss = p.src[a], ds = p.dst[a];
            for (int i = 0; i < n; i++, s += ss, d += ds) walk(p, simd, level + 1, src, s, dst, d);
            return;
        }
        int last = p.dims.length - 1, len = p.dims[last];
        int rows = last > 0 ? p.dims[last - 1] : 1, srs = last > 0 ? p.src[last - 1] : 0, drs = last > 0 ? p.dst[last - 1] : 0;
        switch (p.kind) {
            case ROWS:
                if (simd) LayoutSimd.rows(rows, len, src, s, srs, dst, d, drs);
                else LayoutScalar.rows(rows, len, src, s, srs, dst, d, drs);
                break;
            case TRANSPOSE:
                int t = p.tAxis;
                if (simd) LayoutSimd.transpose(p.dims[t], len, src, s, p.src[last], dst, d, p.dst[t]);
                else LayoutScalar.transpose(p.dims[t], len, src, s, p.src[last], dst, d, p.dst[t]);
                break;
            case STRIDED: // no vector form: element by element in both bodies
                LayoutScalar.strided(rows, len, src, s, srs, p.src[last], dst, d, drs, p.dst[last]);
                break;
        }
    }

    /**
     * The position of the first of {@code n} indices (exact integers stored as floats) that is not in
     * [0, bound), or -1 when all are: checked before a gather or scatter touches anything, so neither ever
     * reads or writes out of bounds.
     */
    public static int firstInvalidIndex(int n, int bound, float[] indices, int indexOff) {
        for (int i = 0; i < n; i++) {
            float v = indices[indexOff + i];
            if (!(v >= 0 && v < bound && v == (int) v)) return i;
        }
        return -1;
    }

    /** out row i = table row indices[i], rows of rowLen floats; the indices must be valid (see above). */
    public static void gatherRows(int n, int rowLen, float[] table, int tableOff, float[] indices, int indexOff,
                                  float[] out, int outOff) {
        if (Simd.ENABLED) LayoutSimd.gatherRows(n, rowLen, table, tableOff, indices, indexOff, out, outOff);
        else LayoutScalar.gatherRows(n, rowLen, table, tableOff, indices, indexOff, out, outOff);
    }

    /**
     * The adjoint of {@link #gatherRows}: out (rows x rowLen) = 0, then out row indices[i] += g row i, in order
     * of i (so both bodies round identically).
     */
    public static void scatterAddRows(int n, int rowLen, float[] g, int gOff, float[] indices, int indexOff,
                                      int rows, float[] out, int outOff) {
        if (Simd.ENABLED) LayoutSimd.scatterAddRows(n, rowLen, g, gOff, indices, indexOff, rows, out, outOff);
        else LayoutScalar.scatterAddRows(n, rowLen, g, gOff, indices, indexOff, rows, out, outOff);
    }
}
