package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Normalization;

/**
 * The batch statistics of batch normalisation: for x of shape [N, C, ...], a [2, C] tensor holding each channel's
 * mean (row 0) and biased variance (row 1) over the N and spatial axes, computed in one pass per channel.
 * Its derivative rules are graph ops (d mean / dx = 1/n, d var / dx = 2 (x - mean) / n), so the Hessian of a
 * loss through the batch statistics is exact.
 */
public record BatchMoments() implements Op {
    /** The moments of x [N, C, ...]; fails, as PyTorch's training mode does, when a channel has one value. */
    public static Node of(Node x) {
        Shape s = x.shape();
        if (s.rank() < 2) {
            throw new ShapeException("batch_norm of " + x.describe() + ": expected an input [N, C, ...] of rank 2 or more");
        }
        if (s.numel() / s.dim(1) == 1) {
            throw new ShapeException("batch_norm of " + x.describe() + ": expected more than 1 value per channel when training"
                    + " (PyTorch's message: got input size " + s + ")");
        }
        return x.graph().node(new BatchMoments(), Shape.of(2, s.dim(1)), x);
    }

    /** The number of values per channel of x [N, C, ...]. */
    static int perChannel(Shape x) {
        return x.numel() / x.dim(1);
    }

    /** A per-channel vector [C] shaped [1, C, 1, ...] so that it broadcasts along the channel axis of x. */
    static Node alongChannels(Node v, Shape x) {
        int[] dims = new int[x.rank()];
        java.util.Arrays.fill(dims, 1);
        dims[1] = x.dim(1);
        return Reshape.of(v, Shape.of(dims));
    }

    @Override public String name() { return "batch_moments"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node x = y.input(0);
        Shape s = x.shape();
        double n = perChannel(s);
        // gMean / n + 2 gVar / n * (x - mean), one affine map of x per channel: x * a + (gMean / n - a * mean).
        Node a = Scale.of(Ops.select(g, 0, 1), 2 / n);
        Node b = Sub.of(Scale.of(Ops.select(g, 0, 0), 1 / n), Mul.of(a, Ops.select(y, 0, 0)));
        return new Node[] {ChannelAffine.of(x, a, b)};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        if (t[0] == null) return null;
        Node x = y.input(0);
        Shape s = x.shape();
        int c = s.dim(1);
        double n = perChannel(s);
        // sum t and sum x t in one pass; sum (x - mean) t = sum x t - mean sum t.
        Node sums = ChannelDots.of(t[0], x), sumT = Ops.select(sums, 0, 0);
        Node mean = Scale.of(sumT, 1 / n);
        Node var = Scale.of(Sub.of(Ops.select(sums, 0, 1), Mul.of(Ops.select(y, 0, 0), sumT)), 2 / n);
        return Concat.of(0, Reshape.of(mean, Shape.of(1, c)), Reshape.of(var, Shape.of(1, c)));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Shape s = y.input(0).shape();
        int outer = s.dim(0), channels = s.dim(1), inner = perChannel(s) / outer;
        double[] x = in[0];
        for (int c = 0; c < channels; c++) {
            double sum = 0, squares = 0;
            for (int o = 0; o < outer; o++) for (int i = 0; i < inner; i++) sum += x[(o * channels + c) * inner + i];
            double mean = sum / (outer * inner);
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    double d = x[(o * channels + c) * inner + i] - mean;
                    squares += d * d;
                }
            }
            out[c] = mean;
            out[channels + c] = squares / (outer * inner);
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        Shape s = x.shape();
        int outer = s.dim(0), channels = s.dim(1), inner = perChannel(s) / outer;
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y);
        return () -> Normalization.moments(outer, channels, inner, xa, xo, out, oo);
    }

    @Override public long flops(Node y) { return 4L * y.input(0).shape().numel(); }
}
