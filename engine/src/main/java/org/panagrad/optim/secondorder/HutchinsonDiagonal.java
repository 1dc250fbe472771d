package org.panagrad.optim.secondorder;

import org.panagrad.analysis.CurvatureProduct;

/**
 * Hutchinson's estimator of a curvature matrix's diagonal: for Rademacher z (entries +-1 with equal odds),
 * E[z * (C z)] = diag(C) elementwise, with variance sum_{j != i} C_ij^2 in entry i. One sample is one compiled
 * curvature-vector product; sampling allocates nothing.
 */
public final class HutchinsonDiagonal {
    private final CurvatureProduct product;
    private final SplitMix64 random;
    private final float[] z, cz;

    public HutchinsonDiagonal(CurvatureProduct product, long seed) {
        this.product = product;
        this.random = new SplitMix64(seed);
        this.z = new float[product.dimension()];
        this.cz = new float[product.dimension()];
    }

    /**
     * Restarts the probes: the next samples draw z from the stream {@code SplittableRandom(seed)} would give,
     * whatever was drawn before. An optimizer that restarts them from its step number needs no generator state
     * to resume exactly.
     */
    public void restartProbes(long seed) {
        random.reset(seed);
    }

    /**
     * One sample z * (C z) into out. The product's run also leaves its loss and gradient readable
     * ({@link CurvatureProduct#loss()}, {@link CurvatureProduct#gradient}).
     */
    public void sample(float[] out) {
        for (int i = 0; i < z.length; i += 32) {
            int bits = random.nextInt();
            for (int k = 0; k < 32 && i + k < z.length; k++) z[i + k] = ((bits >>> k) & 1) == 0 ? -1f : 1f;
        }
        product.apply(z, cz);
        for (int i = 0; i < z.length; i++) out[i] = z[i] * cz[i];
    }

    /** The mean of {@code samples} samples into out (which must not be the estimator's own buffers). */
    public void estimate(int samples, float[] out) {
        if (samples < 1) throw new IllegalArgumentException("a Hutchinson estimate needs at least one sample, got " + samples);
        double[] sum = new double[out.length];
        for (int s = 0; s < samples; s++) {
            sample(out);
            for (int i = 0; i < out.length; i++) sum[i] += out[i];
        }
        for (int i = 0; i < out.length; i++) out[i] = (float) (sum[i] / samples);
    }

    public int dimension() {
        return z.length;
    }

    public CurvatureProduct product() {
        return product;
    }
}
