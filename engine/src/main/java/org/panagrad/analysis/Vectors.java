package org.panagrad.analysis;

import org.panagrad.kernels.Elementwise;

import java.util.SplittableRandom;

/**
 * Flat float vectors with double accumulation, for the spectral methods here and the closure-based
 * optimizers (CG, L-BFGS, Newton-CG): the products come from float32 programs, but an inner product over
 * a few hundred thousand parameters summed in float would lose digits. Four
 * independent accumulators let the JIT overlap the additions. (A Vector API dot that widens floats to
 * doubles with convertShape was tried: on JDK 17 it made C2 box the vectors of the log kernel elsewhere in
 * the same JVM, KernelAllocationTest showed.) axpy runs on the SIMD kernel: in double, one element at a
 * time, it had taken a third of the demo's Hessian analysis.
 */
public final class Vectors {
    private Vectors() {}

    public static double dot(float[] a, float[] b) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int n = a.length, i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += (double) a[i] * b[i];
            s1 += (double) a[i + 1] * b[i + 1];
            s2 += (double) a[i + 2] * b[i + 2];
            s3 += (double) a[i + 3] * b[i + 3];
        }
        for (; i < n; i++) s0 += (double) a[i] * b[i];
        return (s0 + s1) + (s2 + s3);
    }

    public static double norm(float[] a) {
        return Math.sqrt(dot(a, a));
    }

    /** ||a - c b||, without forming the difference. */
    public static double distance(float[] a, double c, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - c * b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    /** y += alpha x, with alpha rounded to float: one fused multiply-add per element. */
    public static void axpy(double alpha, float[] x, float[] y) {
        Elementwise.axpy(y.length, (float) alpha, x, 0, y, 0);
    }

    public static void scale(double s, float[] x) {
        for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] * s);
    }

    /** y = x + beta y, with beta rounded to float: the conjugate-direction update. */
    public static void xpby(float[] x, double beta, float[] y) {
        float b = (float) beta;
        for (int i = 0; i < y.length; i++) y[i] = Math.fma(b, y[i], x[i]);
    }

    public static void negate(float[] x, float[] out) {
        for (int i = 0; i < x.length; i++) out[i] = -x[i];
    }

    public static void sub(float[] a, float[] b, float[] out) {
        for (int i = 0; i < a.length; i++) out[i] = a[i] - b[i];
    }

    public static double norm1(float[] a) {
        double s = 0;
        for (float v : a) s += Math.abs(v);
        return s;
    }

    public static boolean isZero(float[] a) {
        for (float v : a) if (v != 0) return false;
        return true;
    }

    /**
     * Removes from v its components along the orthonormal vectors basis[0..count), by modified Gram-Schmidt,
     * with a second pass when the first one cancelled most of v (Kahan and Parlett: "twice is enough").
     * Returns the norm of what is left.
     */
    public static double orthogonalize(float[] v, float[][] basis, int count) {
        double before = norm(v);
        double after = before;
        for (int pass = 0; pass < 2 && count > 0; pass++) {
            for (int j = 0; j < count; j++) axpy(-dot(v, basis[j]), basis[j], v);
            after = norm(v);
            if (after > 0.7 * before) break;
            before = after;
        }
        return after;
    }

    public static void fillGaussian(SplittableRandom rnd, float[] v) {
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
    }

    /** Independent signs +-1, 64 per random long. */
    public static void fillRademacher(SplittableRandom rnd, float[] v) {
        long bits = 0;
        for (int i = 0; i < v.length; i++) {
            if ((i & 63) == 0) bits = rnd.nextLong();
            v[i] = (bits & 1) == 0 ? 1f : -1f;
            bits >>>= 1;
        }
    }
}
