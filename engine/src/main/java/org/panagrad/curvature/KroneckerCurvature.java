package org.panagrad.curvature;

import org.panagrad.analysis.CurvatureOperator;

import java.util.List;

/**
 * A block-diagonal curvature with one Kronecker-factored block per layer ({@link KroneckerBlock}): K-FAC with
 * Monte Carlo labels, KFLR (the exact factorisation of the loss Hessian), or EKFAC (either eigenbasis with its
 * diagonal refitted to the exact per-example curvature). Products, damped solves, trace and log-determinant are
 * exact for the operator (not estimates): they come from the eigenvalues. Every product allocates nothing.
 *
 * <p>Parameters are the layers' (W, b) in layer order, each W row-major [in, out] then b: the order of
 * {@code Mlp.parameters()}.
 */
public final class KroneckerCurvature implements CurvatureOperator {
    private final String method;
    private final KroneckerBlock[] blocks;
    private final int dimension;
    private final float[] scratch, rotated;

    KroneckerCurvature(String method, List<KroneckerBlock> blocks) {
        this.method = method;
        this.blocks = blocks.toArray(new KroneckerBlock[0]);
        int n = 0, largest = 0;
        for (KroneckerBlock b : blocks) {
            if (b.offset != n) throw new IllegalArgumentException(method + ": layer '" + b.layer + "' starts at " + b.offset + ", expected " + n);
            n += b.size();
            largest = Math.max(largest, b.size());
        }
        this.dimension = n;
        this.scratch = new float[largest];
        this.rotated = new float[largest];
    }

    /** "KFAC", "KFLR" or "EKFAC", for messages and reports. */
    public String method() {
        return method;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    /** The layers, in parameter order. */
    public List<String> layers() {
        String[] names = new String[blocks.length];
        for (int i = 0; i < blocks.length; i++) names[i] = blocks[i].layer;
        return List.of(names);
    }

    @Override
    public void apply(float[] v, float[] out) {
        check(v, out);
        for (KroneckerBlock b : blocks) {
            b.rotateIn(v, scratch, rotated);
            for (int k = 0; k < b.size(); k++) rotated[k] = (float) (rotated[k] * b.d[k]);
            b.rotateOut(rotated, scratch, out);
        }
    }

    @Override
    public void solve(double damping, float[] v, float[] out) {
        check(v, out);
        for (KroneckerBlock b : blocks) {
            requirePositiveDefinite(b, damping);
            b.rotateIn(v, scratch, rotated);
            for (int k = 0; k < b.size(); k++) rotated[k] = (float) (rotated[k] / (b.d[k] + damping));
            b.rotateOut(rotated, scratch, out);
        }
    }

    /**
     * The K-FAC update direction of Martens and Grosse with factored Tikhonov damping: out = [(A + pi_l sqrt(gamma) I)
     * ⊗ (G + sqrt(gamma) / pi_l I)]^-1 v per layer, pi_l = sqrt((tr A / p) / (tr G / q)) balancing the two factors.
     * Only for K-FAC and KFLR blocks, whose eigenvalues are products of the factors'.
     */
    void solveFactoredDamping(double gamma, double[][] factorEigenvalues, float[] v, float[] out) {
        check(v, out);
        double root = Math.sqrt(gamma);
        for (int l = 0; l < blocks.length; l++) {
            KroneckerBlock b = blocks[l];
            double[] ea = factorEigenvalues[2 * l], eg = factorEigenvalues[2 * l + 1];
            double pi = Math.sqrt((Math.max(sum(ea), 0) / b.p + 1e-30) / (Math.max(sum(eg), 0) / b.q + 1e-30));
            b.rotateIn(v, scratch, rotated);
            for (int i = 0; i < b.p; i++) {
                double a = Math.max(ea[i], 0) + pi * root;
                for (int o = 0; o < b.q; o++) {
                    rotated[i * b.q + o] = (float) (rotated[i * b.q + o] / (a * (Math.max(eg[o], 0) + root / pi)));
                }
            }
            b.rotateOut(rotated, scratch, out);
        }
    }

    private static double sum(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s;
    }

    @Override
    public double trace() {
        double t = 0;
        for (KroneckerBlock b : blocks) for (double x : b.d) t += x;
        return t;
    }

    @Override
    public double logDeterminant(double damping) {
        double s = 0;
        for (KroneckerBlock b : blocks) {
            requirePositiveDefinite(b, damping);
            for (double x : b.d) s += Math.log(x + damping);
        }
        return s;
    }

    @Override
    public double[] eigenvalues() {
        double[] all = new double[dimension];
        for (KroneckerBlock b : blocks) System.arraycopy(b.d, 0, all, b.offset, b.size());
        return all;
    }

    /** The same operator times {@code c} (c > 0): a dataset's sum rather than its mean, as Laplace needs. */
    public KroneckerCurvature scaled(double c) {
        if (!(c > 0)) throw new IllegalArgumentException(method + ": scale must be positive, got " + c);
        KroneckerBlock[] scaled = new KroneckerBlock[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            double[] d = blocks[i].d.clone();
            for (int k = 0; k < d.length; k++) d[k] *= c;
            scaled[i] = blocks[i].withEigenvalues(d);
        }
        return new KroneckerCurvature(method, List.of(scaled));
    }

    KroneckerBlock[] blocks() {
        return blocks;
    }

    /** The smallest eigenvalue of the damped block, after checking it is safely positive. */
    private double requirePositiveDefinite(KroneckerBlock b, double damping) {
        double smallest = Double.POSITIVE_INFINITY, largest = 0;
        for (double x : b.d) {
            smallest = Math.min(smallest, x + damping);
            largest = Math.max(largest, Math.abs(x));
        }
        return Spectra.requirePositiveDefinite(method + " curvature of layer '" + b.layer + "'", smallest, largest, damping);
    }

    private void check(float[] v, float[] out) {
        if (v.length != dimension || out.length != dimension) {
            throw new IllegalArgumentException(method + ": vectors over these layers' parameters have " + dimension
                    + " entries, got " + v.length + " and " + out.length);
        }
    }
}
