package org.panagrad.analysis;

import org.panagrad.kernels.Elementwise;

import java.util.SplittableRandom;

/**
 * Float vectors with double accumulation: the products come from float32 programs, but an inner product over
 * a few hundred thousand parameters summed in float would lose digits the spectral methods need. Four
 * independent accumulators let the JIT overlap the additions. (A Vector API dot that widens floats to
 * doubles with convertShape was tried: on JDK 17 it made C2 box the vectors of the log kernel elsewhere in
 * the same JVM, KernelAllocationTest showed.) axpy runs on the SIMD kernel: in double, one element at a
 * time, it had taken a third of the demo's Hessian analysis.
 */
final class Vectors {
    private Vectors() {}

    static double dot(float[] a, float[] b) {
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

    static double norm(float[] a) {
        return Math.sqrt(dot(a, a));
    }

    /** ||a - c b||, without forming the difference. */
    static double distance(float[] a, double c, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - c * b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    /** y += alpha x, with alpha rounded to float: one fused multiply-add per element. */
    static void axpy(double alpha, float[] x, float[] y) {
        Elementwise.axpy(y.length, (float) alpha, x, 0, y, 0);
    }

    static void scale(double s, float[] x) {
        for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] * s);
    }

    /**
     * Removes from v its components along the orthonormal vectors basis[0..count), by modified Gram-Schmidt,
     * with a second pass when the first one cancelled most of v (Kahan and Parlett: "twice is enough").
     * Returns the norm of what is left.
     */
    static double orthogonalize(float[] v, float[][] basis, int count) {
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

    static void fillGaussian(SplittableRandom rnd, float[] v) {
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
    }

    /** Independent signs +-1, 64 per random long. */
    static void fillRademacher(SplittableRandom rnd, float[] v) {
        long bits = 0;
        for (int i = 0; i < v.length; i++) {
            if ((i & 63) == 0) bits = rnd.nextLong();
            v[i] = (bits & 1) == 0 ? 1f : -1f;
            bits >>>= 1;
        }
    }
}
