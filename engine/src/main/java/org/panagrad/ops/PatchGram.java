package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.ConvShape;
import org.panagrad.kernels.ShiftedGram;

/**
 * A stride-1, one-group convolution's input Kronecker factor (KFC's A): with V the patches channel-major as a
 * matrix [K, N outH outW] (K = C kh kw, {@link Unfold}), and with a last row of ones when {@code ones} (the bias),
 * y = V V^T, [K (+1), K (+1)]. The same as the Gram product of the unfolded patches, computed from x itself
 * ({@link ShiftedGram}) instead of writing the patches and reading them back. Its derivatives are those of that
 * product, written with the unfold: the JVP dV V^T + V dV^T with dV the unfold of the tangent (a zero last row),
 * the VJP the unfold's VJP of the first K rows of (g + g^T) V.
 */
public record PatchGram(ConvGeometry geometry, int kh, int kw, boolean ones) implements Op {
    /** The factor of x [N, C, H, W] for a kh x kw kernel under geometry (stride 1, one group). */
    public static Node of(Node x, int kh, int kw, ConvGeometry geometry, boolean ones) {
        if (x.shape().rank() != 4) throw new ShapeException("patch_gram needs an input [N, C, H, W], got " + x.describe());
        if (!applies(geometry)) {
            throw new ShapeException("patch_gram: needs stride 1 and one group (else the Gram product of Ops.unfoldChannelMajor), got "
                    + geometry + " for " + x.describe());
        }
        ConvShape s = shape(geometry, x.shape(), kh, kw);
        if (s.outHeight() < 1 || s.outWidth() < 1) {
            throw new ShapeException("patch_gram: the kernel " + kh + "x" + kw + " under " + geometry + " does not fit in " + x.describe());
        }
        int n = ShiftedGram.rows(s, ones);
        return x.graph().node(new PatchGram(geometry, kh, kw, ones), Shape.of(n, n), x);
    }

    /** Whether a convolution of this geometry has its input factor here. */
    public static boolean applies(ConvGeometry geometry) {
        return geometry.groups() == 1 && geometry.strideH() == 1 && geometry.strideW() == 1 && geometry.padH() >= 0
                && geometry.padW() >= 0 && geometry.dilationH() >= 1 && geometry.dilationW() >= 1;
    }

    private static ConvShape shape(ConvGeometry geometry, Shape x, int kh, int kw) {
        return geometry.shape(x, Shape.of(x.dim(1) * kh * kw, x.dim(1), kh, kw));
    }

    private ConvShape shape(Node y) {
        return shape(geometry, y.input(0).shape(), kh, kw);
    }

    @Override
    public String name() {
        return "patch_gram";
    }

    /** V: the patches of t as [K, N P], with a last row of ones (or zeros, for a tangent) when {@link #ones}. */
    private Node rows(Node t, double last) {
        Node u = Ops.unfoldChannelMajor(t, kh, kw, geometry);
        int k = u.shape().dim(0), columns = u.shape().numel() / k;
        Node v = Ops.reshape(u, k, columns);
        return ones ? Ops.concat(0, v, t.graph().fill(last, Shape.of(1, columns))) : v;
    }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node x = y.input(0), u = Ops.unfoldChannelMajor(x, kh, kw, geometry);
        Node dv = Ops.matmul(Ops.add(g, Ops.transpose(g)), rows(x, 1));
        int k = u.shape().dim(0);
        Node du = ones ? Ops.slice(dv, 0, 0, k) : dv;
        return new Node[] {u.op().vjp(u, Ops.reshape(du, u.shape()))[0]};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        if (t[0] == null) return null;
        Node p = Ops.matmul(rows(t[0], 0), rows(y.input(0), 1), false, true);
        return Ops.add(p, Ops.transpose(p));
    }

    @Override
    public long flops(Node y) {
        ConvShape s = shape(y);
        long n = y.shape().dim(0);
        return 2L * n * n * s.batch() * s.positions(); // counted as the whole product, as MatMul's
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        ConvShape s = shape(y);
        int n = y.shape().dim(0), positions = s.positions(), columns = s.batch() * positions;
        double[] v = new double[n * columns];
        for (int b = 0; b < s.batch(); b++) {
            for (int c = 0; c < s.channels(); c++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int row = (c * kh + i) * kw + j;
                        for (int r = 0; r < s.outHeight(); r++) {
                            for (int q = 0; q < s.outWidth(); q++) {
                                int ih = r + i * s.dilationH() - s.padH(), iw = q + j * s.dilationW() - s.padW();
                                boolean inside = ih >= 0 && ih < s.height() && iw >= 0 && iw < s.width();
                                v[row * columns + b * positions + r * s.outWidth() + q] =
                                        inside ? in[0][((b * s.channels() + c) * s.height() + ih) * s.width() + iw] : 0;
                            }
                        }
                    }
                }
            }
        }
        if (ones) java.util.Arrays.fill(v, (n - 1) * columns, n * columns, 1);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < columns; p++) sum += v[i * columns + p] * v[j * columns + p];
                out[i * n + j] = sum;
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        ConvShape s = shape(y);
        Node x = y.input(0);
        float[] xa = b.array(x), ya = b.array(y);
        int xo = b.offset(x), yo = b.offset(y);
        return () -> ShiftedGram.gram(s, ones, xa, xo, ya, yo);
    }
}
