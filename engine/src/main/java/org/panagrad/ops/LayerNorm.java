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
 * the same graph ops; rstd is recomputed from x by graph ops, so derivatives of any order are exact.
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

    /** Elements per normalised group: the product of the trailing dims. */
    private int groupSize(Node x) {
        int n = 1;
        for (int a = x.shape().rank() - axes; a < x.shape().rank(); a++) n *= x.shape().dim(a);
        return n;
    }

    private int[] trailing(Node x) {
        int[] t = new int[axes];
        for (int i = 0; i < axes; i++) t[i] = x.shape().rank() - axes + i;
        return t;
    }

    @Override public String name() { return "layer_norm"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {jacobianTimes(y, g)}; }
    @Override public Node jvp(Node y, Node[] t) { return jacobianTimes(y, t[0]); }

    /** rstd (t - mean(t) - y mean(t y)) over each group. */
    private Node jacobianTimes(Node y, Node t) {
        Node x = y.input(0);
        int[] ax = trailing(x);
        Node mean = Ops.mean(x, ax, true), centered = Sub.of(x, mean);
        Node rstd = Rsqrt.of(Add.of(Ops.mean(Mul.of(centered, centered), ax, true), x.graph().fill(eps, mean.shape())));
        Node inPlane = Sub.of(Sub.of(t, Ops.mean(t, ax, true)), Mul.of(y, Ops.mean(Mul.of(t, y), ax, true)));
        return Mul.of(inPlane, rstd);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int n = groupSize(y.input(0)), rows = out.length / n;
        for (int r = 0; r < rows; r++) {
            double mean = 0, squares = 0;
            for (int j = 0; j < n; j++) mean += in[0][r * n + j];
            mean /= n;
            for (int j = 0; j < n; j++) squares += (in[0][r * n + j] - mean) * (in[0][r * n + j] - mean);
            double rstd = 1 / Math.sqrt(squares / n + eps);
            for (int j = 0; j < n; j++) out[r * n + j] = (in[0][r * n + j] - mean) * rstd;
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), n = groupSize(x), rows = y.shape().numel() / n;
        float e = (float) eps;
        return () -> org.panagrad.kernels.LayerNorm.normalize(rows, n, e, xa, xo, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
    @Override public long flops(Node y) { return 5L * y.shape().numel(); }
}
