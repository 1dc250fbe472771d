package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.SymmetricGemm;

/**
 * c X^T X ({@code columns}) or c X X^T of a matrix X: a Gram product and the constant scaling that follows it
 * (a Kronecker factor sum a a^T / B) as one symmetric product whose stores multiply by c, instead of a second
 * pass over the n x n result.
 * <p>
 * With {@code upper}, only the upper triangle (the diagonal and above) is the product's and the elements below
 * the diagonal are zero: the symmetric product then skips copying its upper triangle onto the lower one (a quarter
 * of a 785 x 785 Gram's time at k = 128). The compiler's fusion never makes this form; {@link #upperOf} does, for
 * a consumer that reads the upper triangle only (K-FAC's factors, {@code curvature.LayerBackprop}), made after
 * differentiation and never differentiated.
 */
public record ScaledGram(boolean columns, double c, boolean upper) implements FusedOp {
    /** Whether {@code x}'s Gram product (n x n) is taken by {@link SymmetricGemm}, the only case this op fuses. */
    public static boolean applies(Node x, boolean columns) {
        return x.shape().rank() == 2 && SymmetricGemm.worthIt(columns, x.shape().dim(columns ? 1 : 0), x.shape().dim(columns ? 0 : 1));
    }

    /** c X^T X or c X X^T, whole (symmetric). */
    public static Node of(Node x, boolean columns, double c) {
        return make(x, new ScaledGram(columns, c, false));
    }

    /** c X^T X or c X X^T on and above the diagonal, zero below it (see the class comment). */
    public static Node upperOf(Node x, boolean columns, double c) {
        if (x.shape().rank() != 2) throw new ShapeException("gram+scale (upper) needs a matrix, got " + x.describe());
        return make(x, new ScaledGram(columns, c, true));
    }

    private static Node make(Node x, ScaledGram op) {
        int n = x.shape().dim(op.columns ? 1 : 0);
        return x.graph().node(op, Shape.of(n, n), x);
    }

    @Override public String name() { return upper ? "upper_gram+scale" : "gram+scale"; }

    @Override
    public long flops(Node y) {
        Node x = y.input(0);
        int n = y.shape().dim(0);
        return 2L * n * n * x.shape().dim(columns ? 0 : 1); // counted as the whole product, as MatMul's
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Node x = y.input(0);
        int n = y.shape().dim(0), k = x.shape().dim(columns ? 0 : 1), ld = x.shape().dim(1);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += columns ? in[0][p * ld + i] * in[0][p * ld + j] : in[0][i * ld + p] * in[0][j * ld + p];
                }
                out[i * n + j] = upper && j < i ? 0 : c * s;
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), n = y.shape().dim(0), k = x.shape().dim(columns ? 0 : 1), ld = x.shape().dim(1);
        float cf = (float) c;
        if (upper) return () -> SymmetricGemm.upperGram(columns, n, k, cf, xa, xo, ld, out, oo);
        return () -> SymmetricGemm.gram(columns, n, k, cf, xa, xo, ld, out, oo);
    }
}
