package org.panagrad.curvature;

import java.util.ArrayList;
import java.util.List;

/**
 * EKFAC's refit (George et al. 2018): in a Kronecker eigenbasis U_A ⊗ U_G, the diagonal that makes the operator
 * closest in Frobenius norm to the exact curvature sum_n sum_k (a_n ⊗ g_nk)(a_n ⊗ g_nk)^T / B is that curvature's
 * own diagonal in the basis, s_io = sum_n sum_k (U_A^T a_n)_i^2 (U_G^T g_nk)_o^2 / B. Two GEMMs rotate a batch's
 * inputs and output gradients; a third sums the squares. (In the identity basis these are the exact GGN
 * diagonal, which {@link CurvatureDiagonal#gaussNewton} computes without rotations.) Averages over the batches
 * {@link #add}ed; nothing allocates per batch. A Conv2d's
 * per-example gradient sums over its P output positions, sum_t a_nt ⊗ g_nkt, which does not factor: its
 * rotated per-example gradients are formed one by one, (U_A^T A_n^T)(G_nk U_G), a GEMM over the positions each.
 * A convolution in groups does all of this per group, in group g's basis over its columns of the rows.
 */
public final class EigenvalueRefit {
    private final String method;
    private final KroneckerBlock[] basis;
    private final LayerBackprop backprop;
    private final double[][] sums;
    private final float[][] inputs, grads, rotatedInputs, rotatedGrads, squaredGrads, batchSum;
    private final float[] example;
    /** Each layer's GEMM operands for the rotations and the batch's product, kept between batches. */
    private final GemmOperands[] rotations, products;
    private double weight;

    /** Refits the eigenvalues of {@code curvature} in its own eigenbasis (EKFAC). */
    public EigenvalueRefit(KroneckerCurvature curvature, LayerBackprop backprop) {
        this.method = "EKFAC";
        this.basis = curvature.blocks();
        this.backprop = backprop;
        int n = basis.length, batch = backprop.batch(), k = backprop.vectorsPerExample();
        if (backprop.layers().size() != n) {
            throw new IllegalArgumentException(method + ": " + n + " layers in the basis, " + backprop.layers().size() + " backpropagated");
        }
        sums = new double[n][];
        inputs = new float[n][];
        grads = new float[n][];
        rotatedInputs = new float[n][];
        rotatedGrads = new float[n][];
        squaredGrads = new float[n][];
        batchSum = new float[n][];
        rotations = new GemmOperands[n];
        products = new GemmOperands[n];
        int largest = 0;
        for (int l = 0; l < n; l++) {
            KroneckerBlock b = basis[l];
            if (b.p != backprop.inputSize(l) || b.q != backprop.outputSize(l)) {
                throw new IllegalArgumentException(method + ": layer '" + b.layer + "' is " + b.p + " x " + b.q
                        + " in the basis but " + backprop.inputSize(l) + " x " + backprop.outputSize(l) + " backpropagated");
            }
            if (b.groups != backprop.groups(l)) {
                throw new IllegalArgumentException(method + ": layer '" + b.layer + "' has " + b.groups + " group(s) in the basis but "
                        + backprop.groups(l) + " backpropagated");
            }
            int rows = batch * backprop.positions(l);
            sums[l] = new double[b.p * b.q];
            inputs[l] = new float[rows * b.groups * b.p];
            grads[l] = new float[k * rows * b.q];
            if (b.ua == null || b.ug == null) {
                throw new IllegalArgumentException(method + ": layer '" + b.layer + "' has no eigenbasis to refit");
            }
            rotatedInputs[l] = new float[rows * b.groups * b.p];
            rotatedGrads[l] = new float[k * rows * b.q];
            squaredGrads[l] = new float[batch * b.q];
            batchSum[l] = new float[b.p * b.q];
            rotations[l] = new GemmOperands();
            products[l] = new GemmOperands();
            if (rows > batch) largest = Math.max(largest, b.p * b.q);
        }
        example = new float[largest];
    }

    /** Adds the last run of the backprop to the mean, weighted (normally by the batch size). */
    public void add(double batchWeight) {
        add(backprop, batchWeight);
    }

    /**
     * Adds the last run of {@code from}, a program over the same layers and vectors with at most this one's batch
     * (a dataset's last, smaller batch), weighted.
     */
    public void add(LayerBackprop from, double batchWeight) {
        if (from != backprop && (from.batch() > backprop.batch() || from.vectors() != backprop.vectors()
                || from.layers().size() != basis.length)) {
            throw new IllegalArgumentException(method + ": a program of batch " + from.batch() + " and " + from.vectors()
                    + " vectors cannot feed a refit made for batch " + backprop.batch() + " and " + backprop.vectors());
        }
        LayerBackprop backprop = from;
        int batch = backprop.batch(), k = backprop.vectorsPerExample();
        weight += batchWeight;
        double share = batchWeight / weight;
        for (int l = 0; l < basis.length; l++) {
            KroneckerBlock b = basis[l];
            int positions = backprop.positions(l), rows = batch * positions;
            backprop.readInputs(l, inputs[l]);
            backprop.readGradients(l, grads[l]);
            b.rotateRows(rows, inputs[l], rotatedInputs[l], k * rows, grads[l], rotatedGrads[l], rotations[l]);
            float[] ra = rotatedInputs[l], rg = rotatedGrads[l], sg = squaredGrads[l];
            if (positions > 1) {
                addSquaredExamples(b, ra, rg, positions, k, batch, batchSum[l]);
                double[] s = sums[l];
                for (int i = 0; i < s.length; i++) s[i] += share * (batchSum[l][i] - s[i]);
                continue;
            }
            // Squaring in place is safe: the rotations are rewritten next batch.
            for (int i = 0; i < batch * b.groups * b.p; i++) ra[i] *= ra[i];
            java.util.Arrays.fill(sg, 0f);
            for (int j = 0; j < k; j++) {
                int base = j * batch * b.q;
                for (int i = 0; i < batch * b.q; i++) sg[i] += rg[base + i] * rg[base + i];
            }
            // sum_n (a_n^2)(g_n^2)^T: the batch as one example of `batch` rows.
            b.exampleProduct(ra, 0, sg, 0, batch, batchSum[l], 0, products[l]);
            double[] s = sums[l];
            for (int i = 0; i < s.length; i++) s[i] += share * ((double) batchSum[l][i] / batch - s[i]);
        }
    }

    /** sum over examples n and vectors j of ((A_n^T G_nj)_io)^2 / batch, A_n and G_nj example n's rows. */
    private void addSquaredExamples(KroneckerBlock b, float[] ra, float[] rg, int positions, int k, int batch, float[] sum) {
        java.util.Arrays.fill(sum, 0f);
        float inverse = 1f / batch;
        for (int j = 0; j < k; j++) {
            for (int n = 0; n < batch; n++) {
                b.exampleProduct(ra, n * positions, rg, (j * batch + n) * positions, positions, example, 0);
                for (int i = 0; i < b.p * b.q; i++) sum[i] += example[i] * example[i] * inverse;
            }
        }
    }

    /** The basis with the refitted eigenvalues, as an operator. */
    public KroneckerCurvature result() {
        if (weight == 0) throw new IllegalStateException(method + ": no batch was added");
        List<KroneckerBlock> blocks = new ArrayList<>();
        for (int l = 0; l < basis.length; l++) blocks.add(basis[l].withEigenvalues(sums[l].clone()));
        return new KroneckerCurvature(method, blocks);
    }
}
