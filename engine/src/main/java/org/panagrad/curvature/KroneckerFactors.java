package org.panagrad.curvature;

import org.panagrad.kernels.Gemm;
import org.panagrad.kernels.GemmOperand;

import java.util.ArrayList;
import java.util.List;

/**
 * The Kronecker factors A (inputs) and G (output gradients) of each layer, averaged in double over the batches a
 * {@link LayerBackprop} ran on: a plain mean over a dataset ({@link #add}), or an exponential moving average over
 * training steps ({@link #update}, as the K-FAC optimizer keeps them). {@link #curvature} eigen-decomposes them
 * into a {@link KroneckerCurvature} whose block l is A_l ⊗ G_l.
 */
public final class KroneckerFactors {
    private final String method;
    private final List<String> names = new ArrayList<>();
    private final int[] p, q, groups;
    private final KroneckerBlock.Layout[] layouts;
    private final double[][] a, g;
    private final float[][] batchA, batchG;
    private final SymmetricEigen[] eigA, eigG;
    private final double[][] factorValues;
    private final float[][] basesA, basesG;
    /** Each layer's names of its factors, group by group, for the decompositions' errors (made once). */
    private String[][] factorNames;
    /** Whether {@link #curvature()} gave the current eigenvector arrays to an operator (then they are not reused). */
    private boolean handedOut;
    private double weight;
    private float[] scaled;
    /** Whether {@link #mix} updated the upper triangles since the lower ones were last copied from them. */
    private boolean lowerStale;

    /** Empty factors for the layers of {@code backprop}, for the method named (KFAC, KFLR). */
    public KroneckerFactors(LayerBackprop backprop, String method) {
        this.method = method;
        int n = backprop.layers().size();
        p = new int[n];
        q = new int[n];
        groups = new int[n];
        layouts = new KroneckerBlock.Layout[n];
        a = new double[n][];
        g = new double[n][];
        batchA = new float[n][];
        batchG = new float[n][];
        eigA = new SymmetricEigen[n];
        eigG = new SymmetricEigen[n];
        factorValues = new double[2 * n][];
        basesA = new float[n][];
        basesG = new float[n][];
        for (int l = 0; l < n; l++) {
            names.add(backprop.layers().get(l).name());
            p[l] = backprop.inputSize(l);
            layouts[l] = backprop.layout(l);
            q[l] = backprop.outputSize(l);
            groups[l] = backprop.groups(l);
            int qg = q[l] / groups[l];
            a[l] = new double[groups[l] * p[l] * p[l]];
            g[l] = new double[groups[l] * qg * qg];
            batchA[l] = new float[a[l].length];
            batchG[l] = new float[g[l].length];
        }
    }

    /** Adds the last run's factors to a mean over batches, weighted (normally by the batch size). */
    public void add(LayerBackprop backprop, double batchWeight) {
        if (!(batchWeight > 0)) throw new IllegalArgumentException(method + ": batch weight must be positive, got " + batchWeight);
        weight += batchWeight;
        mix(backprop, batchWeight / weight);
    }

    /** Moves the factors towards the last run's: F = decay F + (1 - decay) F_batch (the first run is taken as is). */
    public void update(LayerBackprop backprop, double decay) {
        if (!(decay >= 0 && decay < 1)) throw new IllegalArgumentException(method + ": decay must be in [0, 1), got " + decay);
        mix(backprop, weight == 0 ? 1 : 1 - decay);
        weight = 1;
    }

    /** Mixes the upper triangles only (the program forms no more, {@link LayerBackprop#readUpperFactors}). */
    private void mix(LayerBackprop backprop, double share) {
        for (int l = 0; l < p.length; l++) {
            backprop.readUpperFactors(l, batchA[l], batchG[l]);
            int qg = q[l] / groups[l];
            for (int gr = 0; gr < groups[l]; gr++) {
                mixUpper(a[l], batchA[l], gr * p[l] * p[l], p[l], share);
                mixUpper(g[l], batchG[l], gr * qg * qg, qg, share);
            }
        }
        lowerStale = true;
    }

    private static void mixUpper(double[] f, float[] batch, int off, int n, double share) {
        for (int i = 0; i < n; i++) {
            for (int j = off + i * n + i; j < off + (i + 1) * n; j++) f[j] += share * (batch[j] - f[j]);
        }
    }

    /** Copies each factor's upper triangle onto its lower one, once after any number of {@link #mix}es. */
    private void symmetrize() {
        if (!lowerStale) return;
        for (int l = 0; l < p.length; l++) {
            int qg = q[l] / groups[l];
            for (int gr = 0; gr < groups[l]; gr++) {
                mirrorUpper(a[l], gr * p[l] * p[l], p[l]);
                mirrorUpper(g[l], gr * qg * qg, qg);
            }
        }
        lowerStale = false;
    }

    /** {@code SymmetricGemm.mirrorUpper}'s copy for the double factors (a plain loop: once per decomposition). */
    private static void mirrorUpper(double[] m, int off, int n) {
        for (int i = 1; i < n; i++) {
            for (int j = 0; j < i; j++) m[off + i * n + j] = m[off + j * n + i];
        }
    }

    /** Replaces layer l's factors (a restored optimizer state), counting them as one batch. */
    void set(int l, float[] inputFactor, float[] gradientFactor) {
        symmetrize(); // the other layers' lower triangles, before this layer's whole matrices end the staleness
        for (int i = 0; i < a[l].length; i++) a[l][i] = inputFactor[i];
        for (int i = 0; i < g[l].length; i++) g[l][i] = gradientFactor[i];
        weight = Math.max(weight, 1);
    }

    /** Whether any batch was added. */
    public boolean isEmpty() {
        return weight == 0;
    }

    /**
     * Layer l's input factor A, (in + 1)^2 row-major (its last row and column are the bias's); a grouped
     * convolution's G factors one after another (in is then one group's fan-in). The array is the live one: a
     * later {@link #update} or add changes its upper triangle only, until the next call of this method mirrors it.
     */
    public double[] inputFactor(int l) {
        symmetrize();
        return a[l];
    }

    /**
     * Layer l's output-gradient factor G, out^2 row-major; a grouped convolution's G factors of (out / G)^2. The
     * array is the live one, as {@link #inputFactor}'s.
     */
    public double[] gradientFactor(int l) {
        symmetrize();
        return g[l];
    }

    /**
     * The eigen-decomposition of every factor, as the operator sum_l A_l ⊗ G_l (block-diagonal over layers).
     * Rounding can leave a factor's zero eigenvalues slightly negative; they are clamped to 0, since A and G are
     * sums of outer products. The decompositions reuse their work arrays; the eigenvector arrays are new, so an
     * operator returned earlier stays valid.
     */
    public KroneckerCurvature curvature() {
        decompose();
        handedOut = true;
        List<KroneckerBlock> blocks = new ArrayList<>();
        int offset = 0;
        for (int l = 0; l < p.length; l++) {
            int groupCount = groups[l], qg = q[l] / groupCount;
            double[] va = factorValues[2 * l], vg = factorValues[2 * l + 1], d = new double[p[l] * q[l]];
            for (int gr = 0; gr < groupCount; gr++) {
                // Group gr's block of the (in + 1) x out matrix is its columns gr qg to (gr + 1) qg.
                for (int i = 0; i < p[l]; i++) {
                    for (int o = 0; o < qg; o++) d[i * q[l] + gr * qg + o] = va[gr * p[l] + i] * vg[gr * qg + o];
                }
            }
            blocks.add(new KroneckerBlock(names.get(l), offset, p[l], q[l], groupCount, basesA[l], basesG[l], d, layouts[l]));
            offset += p[l] * q[l];
        }
        return new KroneckerCurvature(method, blocks);
    }

    /**
     * The eigen-decomposition of every factor, for {@link #dampedInverses} (the K-FAC optimizer's periodic
     * refactorisation): into the same eigenvector arrays as the last one, unless {@link #curvature()} handed
     * those to an operator, so a steady optimizer allocates none.
     */
    void decompose() {
        if (isEmpty()) throw new IllegalStateException(method + ": no batch was added to the factors");
        if (factorNames == null) factorNames = factorNames();
        symmetrize();
        for (int l = 0; l < p.length; l++) {
            int groupCount = groups[l], qg = q[l] / groupCount;
            if (eigA[l] == null) {
                eigA[l] = new SymmetricEigen(p[l]);
                eigG[l] = new SymmetricEigen(qg);
                factorValues[2 * l] = new double[groupCount * p[l]];
                factorValues[2 * l + 1] = new double[groupCount * qg];
            }
            if (handedOut || basesA[l] == null) {
                basesA[l] = new float[groupCount * p[l] * p[l]];
                basesG[l] = new float[groupCount * qg * qg];
            }
            double[] va = factorValues[2 * l], vg = factorValues[2 * l + 1];
            for (int gr = 0; gr < groupCount; gr++) {
                decompose(eigA[l], factorNames[l][2 * gr], a[l], gr, p[l], va, basesA[l]);
                decompose(eigG[l], factorNames[l][2 * gr + 1], g[l], gr, qg, vg, basesG[l]);
            }
        }
        handedOut = false;
    }

    private String[][] factorNames() {
        String[][] all = new String[p.length][];
        for (int l = 0; l < p.length; l++) {
            all[l] = new String[2 * groups[l]];
            for (int gr = 0; gr < groups[l]; gr++) {
                String group = groups[l] == 1 ? "" : " (group " + gr + ")";
                all[l][2 * gr] = method + " input factor of layer '" + names.get(l) + "'" + group;
                all[l][2 * gr + 1] = method + " gradient factor of layer '" + names.get(l) + "'" + group;
            }
        }
        return all;
    }

    /**
     * Group gr's n x n factor of the stacked {@code factors} into its eigenvalues (clamped to 0: rounding can
     * leave a sum of outer products' zero eigenvalues slightly negative) and eigenvectors, at gr n and gr n^2.
     */
    private static void decompose(SymmetricEigen eigen, String what, double[] factors, int gr, int n, double[] values, float[] bases) {
        eigen.decompose(what, factors, gr * n * n, values, gr * n, bases, gr * n * n);
        for (int i = gr * n; i < (gr + 1) * n; i++) values[i] = Math.max(values[i], 0);
    }

    /**
     * The inverses of the damped factors from the last {@link #curvature()}, for Martens and Grosse's factored
     * Tikhonov damping: (A_l + pi_l sqrt(gamma) I)^-1 and (G_l + sqrt(gamma) / pi_l I)^-1, with
     * pi_l = sqrt((tr A_l / p) / (tr G_l / q)) balancing the two (their section 6.3). Their Kronecker product
     * approximates (A_l ⊗ G_l + gamma I)^-1; applying it is two GEMMs rather than four. A grouped layer's are its
     * groups' (each group balanced by its own traces), one after another as its factors are.
     */
    void dampedInverses(double gamma, float[][] inverseA, float[][] inverseG) {
        double root = Math.sqrt(gamma);
        for (int l = 0; l < p.length; l++) {
            double[] va = factorValues[2 * l], vg = factorValues[2 * l + 1];
            int qg = q[l] / groups[l];
            for (int gr = 0; gr < groups[l]; gr++) {
                double pi = Math.sqrt((sum(va, gr * p[l], p[l]) / p[l] + 1e-30) / (sum(vg, gr * qg, qg) / qg + 1e-30));
                invert(basesA[l], va, gr, pi * root, p[l], inverseA[l]);
                invert(basesG[l], vg, gr, root / pi, qg, inverseG[l]);
            }
        }
    }

    /** Group gr's out = U diag(1 / (values + shift)) U^T, as (U diag) U^T in one GEMM; the n x n matrices stacked. */
    private void invert(float[] u, double[] values, int gr, double shift, int n, float[] out) {
        if (scaled == null || scaled.length < n * n) scaled = new float[n * n];
        int at = gr * n * n;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) scaled[i * n + k] = (float) (u[at + i * n + k] / (values[gr * n + k] + shift));
        }
        Gemm.gemm(n, n, n, 1f, GemmOperand.of(scaled, 0, n), GemmOperand.transposeOf(u, at, n), 0f, GemmOperand.of(out, at, n));
    }

    private static double sum(double[] x, int from, int count) {
        double s = 0;
        for (int i = from; i < from + count; i++) s += x[i];
        return s;
    }

    int layerCount() {
        return p.length;
    }

    int inputSize(int l) {
        return p[l];
    }

    int outputSize(int l) {
        return q[l];
    }

    /** Layer l's groups: its factors are this many pairs, A's p x p and G's (q / groups) x (q / groups). */
    int groups(int l) {
        return groups[l];
    }

    String layerName(int l) {
        return names.get(l);
    }
}
