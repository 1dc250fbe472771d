package org.panagrad.spark;

/** Flat-vector arithmetic for the driver-side optimizers: float storage, double accumulation. */
final class Vec {
    private Vec() {}

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    /** y += alpha x */
    static void axpy(double alpha, float[] x, float[] y) {
        float a = (float) alpha;
        for (int i = 0; i < y.length; i++) y[i] += a * x[i];
    }

    static void scale(double alpha, float[] x) {
        float a = (float) alpha;
        for (int i = 0; i < x.length; i++) x[i] *= a;
    }

    static double norm1(float[] a) {
        double s = 0;
        for (float v : a) s += Math.abs(v);
        return s;
    }
}
