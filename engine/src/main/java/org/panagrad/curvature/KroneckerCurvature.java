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
    /** Each block's GEMM operands, kept between products (like the scratch arrays, one caller at a time). */
    private final GemmOperands[] operands;

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
        this.operands = new GemmOperands[this.blocks.length];
        for (int l = 0; l < operands.length; l++) operands[l] = new GemmOperands();
    }

    /**
     * The diagonal operator of {@code diagonal}, given in the parameters' order over the weights and biases of
     * {@code layers} (as {@link CurvatureDiagonal#gaussNewton} gives it): blocks with identity bases, so that the
     * Kronecker machinery (solves, log-determinants, sampling, logit variances) serves a diagonal too.
     */
    public static KroneckerCurvature diagonal(String method, List<org.panagrad.nn.LayerCall> layers, float[] diagonal) {
        List<KroneckerBlock> blocks = new java.util.ArrayList<>();
        int offset = 0;
        for (org.panagrad.nn.LayerCall call : layers) {
            StructuredLayer layer = StructuredLayers.of(call);
            KroneckerBlock.Layout layout = layer.layout();
            org.panagrad.graph.Shape w = layer.weight().shape();
            int q = layout.outputMajor() ? w.dim(0) : w.dim(w.rank() - 1), p = w.numel() / q + (layer.bias() == null ? 0 : 1);
            if (offset + p * q > diagonal.length) {
                throw new IllegalArgumentException(method + ": a diagonal of " + diagonal.length + " entries ends inside layer '"
                        + call.name() + "'");
            }
            float[] m = new float[p * q];
            if (layout.outputMajor()) layout.gather(diagonal, offset, p, q, m);
            else System.arraycopy(diagonal, offset, m, 0, p * q);
            double[] d = new double[p * q];
            for (int i = 0; i < d.length; i++) d[i] = m[i];
            blocks.add(new KroneckerBlock(call.name(), offset, p, q, layer.groups(), null, null, d, layout));
            offset += p * q;
        }
        if (offset != diagonal.length) {
            throw new IllegalArgumentException(method + ": the layers have " + offset + " parameters, the diagonal " + diagonal.length);
        }
        return new KroneckerCurvature(method, blocks);
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

    /**
     * Layer l's block: the eigenbases of A ((in + 1) x (in + 1)) and G (out x out), eigenvectors as columns, null
     * for identities (an exact diagonal), and its eigenvalues as an (in + 1) x out matrix, row-major. A convolution
     * in several groups has a pair of bases per group, one after another: A's (in + 1) x (in + 1) and G's
     * (out / groups) x (out / groups), group g's eigenvalues in columns g out / groups to (g + 1) out / groups.
     */
    public record Block(String layer, int inputs, int outputs, int groups, float[] inputBasis, float[] gradientBasis,
                        double[] eigenvalues) {}

    /** The blocks, in layer order; their arrays are copies. */
    public List<Block> blockList() {
        Block[] list = new Block[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            KroneckerBlock b = blocks[i];
            list[i] = new Block(b.layer, b.p, b.q, b.groups, b.ua == null ? null : b.ua.clone(), b.ug == null ? null : b.ug.clone(), b.d.clone());
        }
        return List.of(list);
    }

    @Override
    public void apply(float[] v, float[] out) {
        check(v, out);
        for (int l = 0; l < blocks.length; l++) {
            KroneckerBlock b = blocks[l];
            b.rotateIn(v, scratch, rotated, operands[l]);
            for (int k = 0; k < b.size(); k++) rotated[k] = (float) (rotated[k] * b.d[k]);
            b.rotateOut(rotated, scratch, out, operands[l]);
        }
    }

    @Override
    public void solve(double damping, float[] v, float[] out) {
        check(v, out);
        for (int l = 0; l < blocks.length; l++) {
            KroneckerBlock b = blocks[l];
            requirePositiveDefinite(b, damping);
            b.rotateIn(v, scratch, rotated, operands[l]);
            for (int k = 0; k < b.size(); k++) rotated[k] = (float) (rotated[k] / (b.d[k] + damping));
            b.rotateOut(rotated, scratch, out, operands[l]);
        }
    }

    /** U (D + damping)^-1/2 z per block: U is orthogonal, so its covariance is U (D + damping)^-1 U^T. */
    @Override
    public void sampleInverse(double damping, float[] z, float[] out) {
        sampleInverse(null, damping, z, out);
    }

    /** {@link #sampleInverse(double, float[], float[])} with damping {@code layerDamping[l]} in layer l's block. */
    public void sampleInverse(double[] layerDamping, float[] z, float[] out) {
        sampleInverse(requireLayers(layerDamping), 0, z, out);
    }

    private void sampleInverse(double[] layerDamping, double damping, float[] z, float[] out) {
        check(z, out);
        for (int l = 0; l < blocks.length; l++) {
            KroneckerBlock b = blocks[l];
            double delta = layerDamping == null ? damping : layerDamping[l];
            requirePositiveDefinite(b, delta);
            for (int k = 0; k < b.size(); k++) rotated[k] = (float) (z[b.offset + k] / Math.sqrt(b.d[k] + delta));
            b.rotateOut(rotated, scratch, out, operands[l]);
        }
    }

    /** The number of layers (blocks), checked against a per-layer damping. */
    private double[] requireLayers(double[] layerDamping) {
        if (layerDamping.length != blocks.length) {
            throw new IllegalArgumentException(method + ": " + layerDamping.length + " per-layer dampings for "
                    + blocks.length + " layers " + layers());
        }
        return layerDamping;
    }

    /**
     * The covariance of the logits under the posterior N(theta, (C + D)^-1), D = layer l's damping on its block, of
     * a model linearised in these layers' parameters: cov(f_c, f_c') = sum_l J_lc (C_l + D_l)^-1 J_lc'^T with
     * J_lc = a ⊗ g_c, which in the block's eigenbasis is sum_io (U_A^T a)_i^2 (U_G^T g_c)_o (U_G^T g_c')_o / (d_io
     * + damping): two rotations and one GEMM per layer (a Conv2d's J_lc = sum_t a_t ⊗ g_tc, formed per example and
     * class by a GEMM over the positions; a grouped one's per group). {@code jacobian} ran with
     * {@link LayerBackprop.Vectors#JACOBIAN} over the same layers; adds into {@code covariance} [batch, classes,
     * classes], symmetric, when {@code full}; otherwise only its diagonal, the variances [batch, classes] that the
     * probit predictive reads (classes products per example instead of classes (classes + 1) / 2).
     */
    void addLogitCovariance(LayerBackprop jacobian, double[] layerDamping, Workspace w, float[] covariance, boolean full) {
        requireLayers(layerDamping);
        int batch = jacobian.batch(), classes = jacobian.classes();
        for (int l = 0; l < blocks.length; l++) {
            KroneckerBlock b = blocks[l];
            if (b.groups != jacobian.groups(l) || b.p != jacobian.inputSize(l) || b.q != jacobian.outputSize(l)) {
                throw new IllegalArgumentException(method + ": layer '" + b.layer + "' is " + b.p + " x " + b.q + " in "
                        + b.groups + " group(s) in the operator but " + jacobian.inputSize(l) + " x " + jacobian.outputSize(l)
                        + " in " + jacobian.groups(l) + " in the Jacobian program");
            }
            double damping = layerDamping[l];
            requirePositiveDefinite(b, damping);
            int positions = jacobian.positions(l), rows = batch * positions, size = b.size();
            jacobian.readInputs(l, w.inputs);
            jacobian.readGradients(l, w.grads);
            b.rotateRows(rows, w.inputs, w.rotatedInputs, classes * rows, w.grads, w.rotatedGrads, w.rotations[l]);
            float[] a = w.rotatedInputs, g = w.rotatedGrads, weights = w.weights, products = w.products;
            for (int k = 0; k < size; k++) weights[k] = (float) (1 / (b.d[k] + damping));
            if (positions > 1) {
                // A Conv2d's Jacobian row sums over positions: each rotated one, (A_n^T G_nc) in the eigenbasis.
                for (int n = 0; n < batch; n++) {
                    for (int c = 0; c < classes; c++) {
                        b.exampleProduct(a, n * positions, g, (c * batch + n) * positions, positions, products, c * size, w.productOperands[l]);
                    }
                    for (int c = 0; c < classes; c++) {
                        for (int c2 = c, last = full ? classes : c + 1; c2 < last; c2++) {
                            double s = 0;
                            for (int k = 0; k < size; k++) s += (double) products[c * size + k] * weights[k] * products[c2 * size + k];
                            addEntry(covariance, full, n, c, c2, classes, s);
                        }
                    }
                }
                continue;
            }
            for (int i = 0; i < rows * b.groups * b.p; i++) a[i] *= a[i];
            // products[n, o] = sum_i a_ni^2 / (d_io + damping), group by group.
            KroneckerBlock.rowsTimes(b.p, b.q, b.groups, batch, a, weights, 0, products, w.productOperands[l]);
            for (int n = 0; n < batch; n++) {
                int t = n * b.q;
                for (int c = 0; c < classes; c++) {
                    int row = (c * batch + n) * b.q;
                    for (int c2 = c, last = full ? classes : c + 1; c2 < last; c2++) {
                        int row2 = (c2 * batch + n) * b.q;
                        double s = 0;
                        for (int o = 0; o < b.q; o++) s += (double) products[t + o] * g[row + o] * g[row2 + o];
                        addEntry(covariance, full, n, c, c2, classes, s);
                    }
                }
            }
        }
    }

    /**
     * Adds s to entry (c, c2) of example n's classes x classes matrix in [batch, classes, classes], and to (c2, c)
     * when they differ; or, not {@code full}, to its variance (c, c) in [batch, classes].
     */
    static void addEntry(float[] covariance, boolean full, int n, int c, int c2, int classes, double s) {
        if (!full) {
            covariance[n * classes + c] += (float) s;
            return;
        }
        int at = n * classes * classes;
        covariance[at + c * classes + c2] += (float) s;
        if (c2 != c) covariance[at + c2 * classes + c] += (float) s;
    }

    /** Buffers for {@link #addLogitCovariance}, sized for the largest layer. */
    static final class Workspace {
        final float[] inputs, grads, rotatedInputs, rotatedGrads, weights, products;
        /** Each layer's GEMM operands of its rotations and of its products, kept between calls. */
        final GemmOperands[] rotations, productOperands;

        Workspace(LayerBackprop jacobian) {
            int batch = jacobian.batch(), k = jacobian.vectorsPerExample(), rp = 0, rq = 0, pq = 0;
            for (int l = 0; l < jacobian.layers().size(); l++) {
                int rows = batch * jacobian.positions(l);
                rp = Math.max(rp, rows * jacobian.groups(l) * jacobian.inputSize(l));
                rq = Math.max(rq, rows * jacobian.outputSize(l));
                pq = Math.max(pq, jacobian.inputSize(l) * jacobian.outputSize(l));
            }
            inputs = new float[rp];
            rotatedInputs = new float[rp];
            grads = new float[k * rq];
            rotatedGrads = new float[k * rq];
            weights = new float[pq];
            // Linear rows' [batch, out] products, or a Conv2d example's per-class gradient-shaped ones.
            products = new float[Math.max(rq, k * pq)];
            int layers = jacobian.layers().size();
            rotations = new GemmOperands[layers];
            productOperands = new GemmOperands[layers];
            for (int l = 0; l < layers; l++) {
                rotations[l] = new GemmOperands();
                productOperands[l] = new GemmOperands();
            }
        }
    }

    @Override
    public double trace() {
        double t = 0;
        for (KroneckerBlock b : blocks) for (double x : b.d) t += x;
        return t;
    }

    @Override
    public double logDeterminant(double damping) {
        double[] same = new double[blocks.length];
        java.util.Arrays.fill(same, damping);
        return logDeterminant(same);
    }

    /** log det(C + D), D the diagonal with {@code layerDamping[l]} over layer l's parameters. */
    public double logDeterminant(double[] layerDamping) {
        requireLayers(layerDamping);
        double s = 0;
        for (int l = 0; l < blocks.length; l++) {
            requirePositiveDefinite(blocks[l], layerDamping[l]);
            for (double x : blocks[l].d) s += Math.log(x + layerDamping[l]);
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
        if (Spectra.safelyPositive(smallest, largest)) return smallest; // no message built per call
        return Spectra.requirePositiveDefinite(method + " curvature of layer '" + b.layer + "'", smallest, largest, damping);
    }

    private void check(float[] v, float[] out) {
        if (v.length != dimension || out.length != dimension) {
            throw new IllegalArgumentException(method + ": vectors over these layers' parameters have " + dimension
                    + " entries, got " + v.length + " and " + out.length);
        }
    }
}
