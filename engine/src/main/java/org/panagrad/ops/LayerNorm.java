package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.ShapeException;

/**
 * Layer normalisation without its affine part: x normalised to mean 0 and (biased) variance 1 over its last
 * {@code axes} axes, (x - mean) / sqrt(var + eps), as torch.nn.functional.layer_norm with normalized_shape the
 * trailing dims. Its Jacobian is rstd (I - 1/n - y y^T / n) on each group, symmetric, so the VJP and the JVP are
 * the same graph ops; rstd is recomputed from x by {@link LayerNormRstd}, whose derivatives are graph ops over y and
 * rstd, so derivatives of any order are exact.
 */
public record LayerNorm(int axes, double eps) implements Op {
    public static Node of(Node x, int axes, double eps) {
        if (axes < 1 || axes > x.shape().rank()) {
            throw new ShapeException("layer_norm of " + x.describe() + ": normalizes over 1 to " + x.shape().rank()
                    + " trailing axes, not " + axes);
        }
        if (!(eps >= 0)) throw new ShapeException("layer_norm of " + x.describe() + ": eps must be >= 0, not " + eps);
        return x.graph().node(new LayerNorm(axes, eps), x.shape(), x);
    }

    /** Elements per normalised group: the product of the last {@code axes} dims. */
    static int groupSize(Node x, int axes) {
        int n = 1;
        for (int a = x.shape().rank() - axes; a < x.shape().rank(); a++) n *= x.shape().dim(a);
        return n;
    }

    /** The last {@code axes} axes of x. */
    static int[] trailing(Node x, int axes) {
        int[] t = new int[axes];
        for (int i = 0; i < axes; i++) t[i] = x.shape().rank() - axes + i;
        return t;
    }

    @Override public String name() { return "layer_norm"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {jacobianTimes(y, g)}; }
    @Override public Node jvp(Node y, Node[] t) { return jacobianTimes(y, t[0]); }

    /** rstd (t - mean(t) - y mean(t y)) over each group, rstd one op ({@link LayerNormRstd}) reading x once. */
    private Node jacobianTimes(Node y, Node t) {
        int[] ax = trailing(y, axes);
        Node inPlane = Sub.of(Sub.of(t, Ops.mean(t, ax, true)), Mul.of(y, Ops.mean(Mul.of(t, y), ax, true)));
        return Mul.of(inPlane, LayerNormRstd.of(y.input(0), axes, eps));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int n = groupSize(y.input(0), axes), rows = out.length / n;
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int j = 0; j < n; j++) mean += in[0][r * n + j];
            mean /= n;
            double rstd = LayerNormRstd.reciprocalStd(in[0], r * n, n, eps);
            for (int j = 0; j < n; j++) out[r * n + j] = (in[0][r * n + j] - mean) * rstd;
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), n = groupSize(x, axes), rows = y.shape().numel() / n;
        float e = (float) eps;
        return () -> org.panagrad.kernels.LayerNorm.normalize(rows, n, e, xa, xo, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 5L * y.shape().numel(); }
}
