package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one product loop of the fused attention kernels, forward, backward and second order: output rows as sums of
 * coefficient-weighted rows of a matrix, four output rows against two vectors of columns at a time (eight
 * independent FMA chains, which Zen 5's two 4-cycle FMA pipes need; where one vector is left, one chain per row, four
 * in all), coefficients broadcast from any strides (so transposed operands are read down their columns, never
 * copied). Output rows one vector wide go eight at a time (eight chains) where no term is left out. Every sum runs
 * over its terms in order. Vectors never cross a call: each entry point takes arrays and offsets only.
 */
final class AttentionRowProducts {
    private AttentionRowProducts() {}

    private static final VectorSpecies<Float> F = VectorMath.F;

    /** What {@link #times} leaves out for a group of rows from r: nothing, or (causal) what lies past its diagonal. */
    static final int ALL = 0, KEYS_TO_ROW = 1, INNER_TO_ROW = 2, INNER_FROM_ROW = 3;

    /** Keys a group of four rows from r needs: up to its last row when causal (every row of the group alike). */
    static int keys(int r, int limit, int mode) {
        return mode == ALL || mode == INNER_FROM_ROW ? limit : Math.min(limit, (r | 3) + 1);
    }

    /** The columns of score row i that the products write and read: its group's keys in whole vectors. */
    static int width(AttentionDims a, int i) {
        int lanes = F.length();
        return a.causal() ? (keys(i, a.tk(), KEYS_TO_ROW) + lanes - 1) / lanes * lanes : a.paddedKeys();
    }

    /**
     * out[r, c] = sum over t of coef[c0 + r * cr + t * ct] * m[m0 + t * mr + c], for r < rows, c < width (rows of out
     * at o0 + r * or), added to what out holds when {@code accumulate}; t from 0 to inner, less what {@code mode}
     * leaves out for causal attention per group of four rows from r: KEYS_TO_ROW keeps the columns (keys) up to the
     * group's last row, in whole vectors; INNER_TO_ROW the terms t up to it; INNER_FROM_ROW the terms from its first
     * row on.
     */
    static void times(float[] coef, int c0, int cr, int ct, int rows, int inner, float[] m, int m0, int mr,
                      int fullWidth, float[] out, int o0, int or, int mode, boolean accumulate) {
        int lanes = F.length();
        int r = 0;
        for (; mode == ALL && fullWidth == lanes && r + 8 <= rows; r += 8) {
            eightRowsOneVector(coef, c0 + r * cr, cr, ct, inner, m, m0, mr, out, o0 + r * or, or, accumulate);
        }
        for (; r < rows; r += 4) {
            int width = mode == KEYS_TO_ROW ? Math.min(fullWidth, ((r | 3) + lanes) / lanes * lanes) : fullWidth;
            int t0 = mode == INNER_FROM_ROW ? Math.min(r, inner) : 0, t1 = mode == INNER_TO_ROW ? keys(r, inner, mode) : inner;
            int a = c0 + r * cr;
            if (r + 4 <= rows) {
                fourRows(coef, a, a + cr, a + 2 * cr, a + 3 * cr, ct, t0, t1, m, m0, mr, width, out, o0 + r * or, or,
                        accumulate, 1f);
            } else {
                for (int e = r; e < rows; e++) oneRow(coef, c0 + e * cr, ct, t0, t1, m, m0, mr, width, out, o0 + e * or, accumulate);
            }
        }
    }

    /**
     * Four output rows (from o, o + or, ...) of {@link #times}, their coefficients from a0, a1, a2 and a3 (any four
     * rows, the same row more than once included), times {@code scale} (the old value included when accumulating):
     * out = scale (old + sum).
     */
    static void fourRows(float[] coef, int a0, int a1, int a2, int a3, int ct, int t0, int t1, float[] m, int m0, int mr,
                         int width, float[] out, int o, int or, boolean accumulate, float scale) {
        int lanes = F.length(), c = 0;
        for (; c + 2 * lanes <= width; c += 2 * lanes) {
            fourRowsTwoVectors(coef, a0, a1, a2, a3, ct, t0, t1, m, m0 + c, mr, out, o + c, or, accumulate, scale);
        }
        if (c + lanes <= width) {
            fourRowsOneVector(coef, a0, a1, a2, a3, ct, t0, t1, m, m0 + c, mr, out, o + c, or, accumulate, scale);
            c += lanes;
        }
        for (int o1 = o + or, o2 = o1 + or, o3 = o2 + or; c < width; c++) {
            out[o + c] = scale * dot(accumulate ? out[o + c] : 0f, coef, a0, ct, t0, t1, m, m0 + c, mr);
            out[o1 + c] = scale * dot(accumulate ? out[o1 + c] : 0f, coef, a1, ct, t0, t1, m, m0 + c, mr);
            out[o2 + c] = scale * dot(accumulate ? out[o2 + c] : 0f, coef, a2, ct, t0, t1, m, m0 + c, mr);
            out[o3 + c] = scale * dot(accumulate ? out[o3 + c] : 0f, coef, a3, ct, t0, t1, m, m0 + c, mr);
        }
    }

    /*
     * The two vector bodies of fourRows are methods of their own (the two-vector one too big in bytecode for C2 to
     * inline), so each C2 compilation stays small. As one method, C2 compiled it (tier 4, no failure reported) with
     * the Vector API calls of some of the last stores (mul(scale)) falling back to Java code that allocates a vector
     * per call, for good: vit-tiny's HVP allocated 11.4 MB per call for each store left so, 2 to 4 of them depending
     * on the fork's profile (JFR allocation samples: FloatVector.mul(float) in fourRows, lines of the one-vector
     * stores). Deterministically under -Xbatch: FixedStepsAllocationTest.
     */

    /** Columns [0, 2 lanes) of fourRows' output rows, from m0 and o. */
    private static void fourRowsTwoVectors(float[] coef, int a0, int a1, int a2, int a3, int ct, int t0, int t1,
                                           float[] m, int m0, int mr, float[] out, int o, int or, boolean accumulate,
                                           float scale) {
        int lanes = F.length(), o1 = o + or, o2 = o1 + or, o3 = o2 + or;
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        if (accumulate) {
            s00 = FloatVector.fromArray(F, out, o);
            s01 = FloatVector.fromArray(F, out, o + lanes);
            s10 = FloatVector.fromArray(F, out, o1);
            s11 = FloatVector.fromArray(F, out, o1 + lanes);
            s20 = FloatVector.fromArray(F, out, o2);
            s21 = FloatVector.fromArray(F, out, o2 + lanes);
            s30 = FloatVector.fromArray(F, out, o3);
            s31 = FloatVector.fromArray(F, out, o3 + lanes);
        }
        for (int t = t0, at = m0 + t0 * mr, ta = t0 * ct; t < t1; t++, at += mr, ta += ct) {
            FloatVector x0 = FloatVector.fromArray(F, m, at), x1 = FloatVector.fromArray(F, m, at + lanes);
            FloatVector e = FloatVector.broadcast(F, coef[a0 + ta]);
            s00 = x0.fma(e, s00);
            s01 = x1.fma(e, s01);
            e = FloatVector.broadcast(F, coef[a1 + ta]);
            s10 = x0.fma(e, s10);
            s11 = x1.fma(e, s11);
            e = FloatVector.broadcast(F, coef[a2 + ta]);
            s20 = x0.fma(e, s20);
            s21 = x1.fma(e, s21);
            e = FloatVector.broadcast(F, coef[a3 + ta]);
            s30 = x0.fma(e, s30);
            s31 = x1.fma(e, s31);
        }
        s00.mul(scale).intoArray(out, o);
        s01.mul(scale).intoArray(out, o + lanes);
        s10.mul(scale).intoArray(out, o1);
        s11.mul(scale).intoArray(out, o1 + lanes);
        s20.mul(scale).intoArray(out, o2);
        s21.mul(scale).intoArray(out, o2 + lanes);
        s30.mul(scale).intoArray(out, o3);
        s31.mul(scale).intoArray(out, o3 + lanes);
    }

    /** Columns [0, lanes) of fourRows' output rows, from m0 and o: one accumulator per row. */
    private static void fourRowsOneVector(float[] coef, int a0, int a1, int a2, int a3, int ct, int t0, int t1,
                                          float[] m, int m0, int mr, float[] out, int o, int or, boolean accumulate,
                                          float scale) {
        int o1 = o + or, o2 = o1 + or, o3 = o2 + or;
        // The stored vectors are computed from zero, whose class C2 knows, rather than from the loop-carried sums
        // (typed FloatVector): written from the sums, on JDK 17 in vit-tiny's HVP the stores had no constant species.
        FloatVector zero = FloatVector.zero(F), s0 = zero, s1 = zero, s2 = zero, s3 = zero;
        if (accumulate) {
            s0 = FloatVector.fromArray(F, out, o);
            s1 = FloatVector.fromArray(F, out, o1);
            s2 = FloatVector.fromArray(F, out, o2);
            s3 = FloatVector.fromArray(F, out, o3);
        }
        for (int t = t0, at = m0 + t0 * mr, ta = t0 * ct; t < t1; t++, at += mr, ta += ct) {
            FloatVector x = FloatVector.fromArray(F, m, at);
            s0 = x.fma(FloatVector.broadcast(F, coef[a0 + ta]), s0);
            s1 = x.fma(FloatVector.broadcast(F, coef[a1 + ta]), s1);
            s2 = x.fma(FloatVector.broadcast(F, coef[a2 + ta]), s2);
            s3 = x.fma(FloatVector.broadcast(F, coef[a3 + ta]), s3);
        }
        zero.add(s0).mul(scale).intoArray(out, o);
        zero.add(s1).mul(scale).intoArray(out, o1);
        zero.add(s2).mul(scale).intoArray(out, o2);
        zero.add(s3).mul(scale).intoArray(out, o3);
    }

    /**
     * Eight output rows one vector wide (from o, o + or, ...; coefficients from a0, a0 + cr, ...), all terms t: with
     * one vector per row, fourRowsOneVector's four FMA chains keep one of Zen 5's two 4-cycle FMA pipes busy; eight
     * fill both (vit-tiny's products of an entry's scores with its 16-wide operands at 16 lanes). Each sum runs over t
     * in order, as in fourRowsOneVector, so the bits are the same.
     */
    private static void eightRowsOneVector(float[] coef, int a0, int cr, int ct, int inner, float[] m, int m0, int mr,
                                           float[] out, int o, int or, boolean accumulate) {
        int a1 = a0 + cr, a2 = a1 + cr, a3 = a2 + cr, a4 = a3 + cr, a5 = a4 + cr, a6 = a5 + cr, a7 = a6 + cr;
        int o1 = o + or, o2 = o1 + or, o3 = o2 + or, o4 = o3 + or, o5 = o4 + or, o6 = o5 + or, o7 = o6 + or;
        // Stored from zero, as in fourRowsOneVector (so that C2 knows the stores' species).
        FloatVector zero = FloatVector.zero(F), s0 = zero, s1 = zero, s2 = zero, s3 = zero, s4 = zero, s5 = zero,
                s6 = zero, s7 = zero;
        if (accumulate) {
            s0 = FloatVector.fromArray(F, out, o);
            s1 = FloatVector.fromArray(F, out, o1);
            s2 = FloatVector.fromArray(F, out, o2);
            s3 = FloatVector.fromArray(F, out, o3);
            s4 = FloatVector.fromArray(F, out, o4);
            s5 = FloatVector.fromArray(F, out, o5);
            s6 = FloatVector.fromArray(F, out, o6);
            s7 = FloatVector.fromArray(F, out, o7);
        }
        for (int t = 0, at = m0, ta = 0; t < inner; t++, at += mr, ta += ct) {
            FloatVector x = FloatVector.fromArray(F, m, at);
            s0 = x.fma(FloatVector.broadcast(F, coef[a0 + ta]), s0);
            s1 = x.fma(FloatVector.broadcast(F, coef[a1 + ta]), s1);
            s2 = x.fma(FloatVector.broadcast(F, coef[a2 + ta]), s2);
            s3 = x.fma(FloatVector.broadcast(F, coef[a3 + ta]), s3);
            s4 = x.fma(FloatVector.broadcast(F, coef[a4 + ta]), s4);
            s5 = x.fma(FloatVector.broadcast(F, coef[a5 + ta]), s5);
            s6 = x.fma(FloatVector.broadcast(F, coef[a6 + ta]), s6);
            s7 = x.fma(FloatVector.broadcast(F, coef[a7 + ta]), s7);
        }
        zero.add(s0).intoArray(out, o);
        zero.add(s1).intoArray(out, o1);
        zero.add(s2).intoArray(out, o2);
        zero.add(s3).intoArray(out, o3);
        zero.add(s4).intoArray(out, o4);
        zero.add(s5).intoArray(out, o5);
        zero.add(s6).intoArray(out, o6);
        zero.add(s7).intoArray(out, o7);
    }

    /** One row of {@link #times}. */
    private static void oneRow(float[] coef, int a0, int ct, int t0, int t1, float[] m, int m0, int mr, int width,
                               float[] out, int o, boolean accumulate) {
        int lanes = F.length(), c = 0;
        for (; c + lanes <= width; c += lanes) {
            FloatVector s = accumulate ? FloatVector.fromArray(F, out, o + c) : FloatVector.zero(F);
            for (int t = t0, at = m0 + t0 * mr + c, ta = a0 + t0 * ct; t < t1; t++, at += mr, ta += ct) {
                s = FloatVector.fromArray(F, m, at).fma(FloatVector.broadcast(F, coef[ta]), s);
            }
            s.intoArray(out, o + c);
        }
        for (; c < width; c++) out[o + c] = dot(accumulate ? out[o + c] : 0f, coef, a0, ct, t0, t1, m, m0 + c, mr);
    }

    /** x plus the sum over t in [t0, t1) of coef[a + t * ct] * m[at + t * mr], in order. */
    private static float dot(float x, float[] coef, int a, int ct, int t0, int t1, float[] m, int at, int mr) {
        for (int t = t0; t < t1; t++) x += coef[a + t * ct] * m[at + t * mr];
        return x;
    }
}
