package org.panagrad.curvature;

import org.panagrad.graph.Node;
import org.panagrad.nn.LayerCall;
import org.panagrad.ops.Ops;

import java.util.List;

/**
 * A layer whose parameter gradient is a sum over positions of outer products: with rows r = (sample, position),
 * input rows a_r (Linear's input, a Conv2d's unfolded patches) and output-gradient rows d_r, the weight gradient
 * is sum_r a_r d_r^T and the bias gradient sum_r d_r. Per-sample gradients, their norms and square sums,
 * clipped sums and Kronecker factors are built from these rows as graph nodes, without batch-of-one programs.
 * The d given to every method is the gradient of each sample's own loss in the layer's output (see
 * {@link PerSampleParameters#pass}), shaped like the output.
 */
sealed interface StructuredLayer permits LinearStructure, Conv2dStructure {
    LayerCall call();

    Node weight();

    /** The bias, or null for a layer without one. */
    Node bias();

    /** The input rows, [N * positions, in] (in = the weight's fan-in). */
    Node inputRows();

    /** The output-gradient rows of d, [N * positions, out], in the order of {@link #inputRows()}. */
    Node gradientRows(Node d);

    /** How the layer stores its parameters, for Kronecker blocks. */
    KroneckerBlock.Layout layout();

    /** Groups of the weight: a grouped convolution's; 1 for every other layer. */
    default int groups() {
        return 1;
    }

    /** Positions per sample (1 for Linear on [N, in]). */
    int positions();

    /** The weight's gradient, shaped like the weight, from input rows and output-gradient rows. */
    Node weightGradient(Node inputRows, Node gradientRows);

    /** Sample n's weight and bias gradients, [N, ...weight] and [N, out] (null without a bias). */
    Node[] perSample(Node d);

    /** ||g_n||^2 over the weight and bias, [N]. */
    Node squaredNorm(Node d);

    /** sum_n sum_k (g_{n,k})^2 elementwise for the weight and the bias, g_{n,k} the per-sample gradient from d_k. */
    Node[] squareSums(List<Node> ds);

    /** sum_n factor_n g_n for the weight and the bias: the output gradients scaled per sample, then one GEMM. */
    default Node[] scaledSum(Node d, Node factor) {
        int[] dims = new int[d.shape().rank()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = d.shape().dim(0);
        Node rows = gradientRows(Ops.mul(d, Ops.reshape(factor, dims)));
        return new Node[] {weightGradient(inputRows(), rows), bias() == null ? null : Ops.sum(rows, 0, false)};
    }

    /** The sum over k of the elementwise squares of per-sample gradients {g_n[0], g_n[1]} summed over samples. */
    static Node[] squareSumsOfMaterialized(StructuredLayer layer, List<Node> ds) {
        Node w = null, b = null;
        for (Node d : ds) {
            Node[] g = layer.perSample(d);
            Node wk = Ops.sum(Ops.mul(g[0], g[0]), 0, false);
            w = w == null ? wk : Ops.add(w, wk);
            if (g[1] != null) {
                Node bk = Ops.sum(Ops.mul(g[1], g[1]), 0, false);
                b = b == null ? bk : Ops.add(b, bk);
            }
        }
        return new Node[] {w, b};
    }
}
