package org.panagrad.optim;

/** Flat-vector arithmetic for the closure-based optimizers: float storage, double accumulation. */
final class Vectors {
    private Vectors() {
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    /** y += alpha * x */
    static void axpy(double alpha, float[] x, float[] y) {
        float a = (float) alpha;
        for (int i = 0; i < y.length; i++) y[i] += a * x[i];
    }

    /** y = x + beta * y, the conjugate-direction update. */
    static void xpby(float[] x, double beta, float[] y) {
        float b = (float) beta;
        for (int i = 0; i < y.length; i++) y[i] = x[i] + b * y[i];
    }

    static void scale(double alpha, float[] x) {
        float a = (float) alpha;
        for (int i = 0; i < x.length; i++) x[i] *= a;
    }

    static void negate(float[] x, float[] out) {
        for (int i = 0; i < x.length; i++) out[i] = -x[i];
    }

    static void sub(float[] a, float[] b, float[] out) {
        for (int i = 0; i < a.length; i++) out[i] = a[i] - b[i];
    }

    static double norm1(float[] a) {
        double s = 0;
        for (float v : a) s += Math.abs(v);
        return s;
    }

    static boolean isZero(float[] a) {
        for (float v : a) if (v != 0) return false;
        return true;
    }
}
