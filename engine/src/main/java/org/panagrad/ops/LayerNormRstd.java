package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;

/**
 * 1 / sqrt(var + eps) of each group of x's last {@code axes} axes (the biased variance), kept as size-1 axes: the
 * statistic {@link LayerNorm}'s derivatives scale by, as one pass over x (as graph ops it took four passes, and six
 * more in an HVP). Its derivative is -rstd^2 y / n with y = layer_norm(x), graph ops, so every order stays exact.
 */
public record LayerNormRstd(int axes, double eps) implements Op {
    public static Node of(Node x, int axes, double eps) {
        int[] dims = x.shape().dims().clone();
        for (int a = dims.length - axes; a < dims.length; a++) dims[a] = 1;
        return x.graph().node(new LayerNormRstd(axes, eps), Shape.of(dims), x);
    }

    @Override public String name() { return "layer_norm_rstd"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node x = y.input(0);
        return new Node[] {Mul.of(LayerNorm.of(x, axes, eps), Scale.of(Mul.of(g, Mul.of(y, y)), -1.0 / LayerNorm.groupSize(x, axes)))};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node x = y.input(0), sum = Ops.sum(Mul.of(LayerNorm.of(x, axes, eps), t[0]), LayerNorm.trailing(x, axes), true);
        return Scale.of(Mul.of(Mul.of(y, y), sum), -1.0 / LayerNorm.groupSize(x, axes));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int n = LayerNorm.groupSize(y.input(0), axes);
        for (int r = 0; r < out.length; r++) out[r] = reciprocalStd(in[0], r * n, n, eps);
    }

    /** The float64 statistic of x[off, off + n), for the references of this op and of {@link LayerNorm}. */
    static double reciprocalStd(double[] x, int off, int n, double eps) {
        double mean = 0, squares = 0;
        for (int j = 0; j < n; j++) mean += x[off + j];
        mean /= n;
        for (int j = 0; j < n; j++) squares += (x[off + j] - mean) * (x[off + j] - mean);
        return 1 / Math.sqrt(squares / n + eps);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), n = LayerNorm.groupSize(x, axes), rows = y.shape().numel();
        float e = (float) eps;
        return () -> org.panagrad.kernels.LayerNorm.reciprocalStd(rows, n, e, xa, xo, out, oo);
    }

    @Override public long flops(Node y) { return 3L * y.input(0).shape().numel(); }
}
