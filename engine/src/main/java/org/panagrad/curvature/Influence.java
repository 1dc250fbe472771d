package org.panagrad.curvature;

/**
 * Influence functions (Koh and Liang 2017): upweighting a training example z_i changes the loss of a test
 * example z by I(z_i, z) = -∇L(z)^T H^-1 ∇L(z_i), with H the (damped) curvature of the training loss. A
 * positive score means z_i raises the test loss (harmful), a negative one that it lowers it (helpful).
 *
 * <p>One inverse-curvature product s = -(H + lambda I)^-1 ∇L(z) serves every training example: an exact solve
 * (small models), conjugate gradient on the damped Gauss-Newton matrix, or EKFAC (as kronfluence does). The
 * training gradients are never formed: for a Linear layer ∇L(z_i) = a_i ⊗ g_i, so s^T ∇L(z_i) = a_i^T S g_i
 * with S the layer's part of s as an (in + 1) x out matrix, one GEMM per layer and batch; a Conv2d sums the same
 * over its output positions, ∇L(z_i) = sum_t a_it ⊗ g_it, and a grouped one does so group by group.
 */
public final class Influence {
    private final LayerBackprop gradients;
    private final float[][] inputs, grads, products;
    private final float[] block;
    /** Each layer's GEMM operands, kept between batches. */
    private final GemmOperands[] operands;

    /** @param gradients a {@link LayerBackprop.Vectors#SAMPLED} program over the layers, run with the true labels */
    public Influence(LayerBackprop gradients) {
        if (gradients.vectors() != LayerBackprop.Vectors.SAMPLED) {
            throw new IllegalArgumentException("influence: per-example gradients need the sampled-vector program, run with labels");
        }
        this.gradients = gradients;
        int n = gradients.layers().size(), batch = gradients.batch();
        inputs = new float[n][];
        grads = new float[n][];
        products = new float[n][];
        operands = new GemmOperands[n];
        int largest = 0;
        for (int l = 0; l < n; l++) {
            int rows = batch * gradients.positions(l);
            inputs[l] = new float[rows * gradients.groups(l) * gradients.inputSize(l)];
            grads[l] = new float[rows * gradients.outputSize(l)];
            products[l] = new float[rows * gradients.outputSize(l)];
            operands[l] = new GemmOperands();
            largest = Math.max(largest, gradients.inputSize(l) * gradients.outputSize(l));
        }
        block = new float[largest];
    }

    /**
     * Runs the program on its fed images with these labels, and writes out[offset + n] = s^T ∇L(z_n) for each
     * example n of the batch, where {@code s} = -(H + lambda I)^-1 ∇L(z_test): the influence scores.
     */
    public void scores(float[] s, int[] labels, int labelOffset, float[] out, int offset) {
        gradients.runWithLabels(labels, labelOffset);
        int batch = gradients.batch();
        java.util.Arrays.fill(out, offset, offset + batch, 0f);
        int at = 0;
        for (int l = 0; l < inputs.length; l++) {
            int p = gradients.inputSize(l), q = gradients.outputSize(l), positions = gradients.positions(l);
            if (at + p * q > s.length) break;
            gradients.readInputs(l, inputs[l]);
            gradients.readGradients(l, grads[l]);
            float[] matrix = s;
            int from = at;
            KroneckerBlock.Layout layout = gradients.layout(l);
            if (layout.outputMajor()) {
                layout.gather(s, at, p, q, block);
                matrix = block;
                from = 0;
            }
            KroneckerBlock.rowsTimes(p, q, gradients.groups(l), batch * positions, inputs[l], matrix, from, products[l], operands[l]);
            for (int n = 0; n < batch; n++) {
                double sum = 0;
                int base = n * positions * q;
                for (int i = 0; i < positions * q; i++) sum += (double) products[l][base + i] * grads[l][base + i];
                out[offset + n] += (float) sum;
            }
            at += p * q;
        }
        if (at != s.length) throw new IllegalArgumentException("influence: s has " + s.length + " entries, the layers " + at);
    }
}
