package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.SymmetricGemm;

/**
 * c X^T X ({@code columns}) or c X X^T of a matrix X: a Gram product and the constant scaling that follows it
 * (a Kronecker factor sum a a^T / B) as one symmetric product whose stores multiply by c, instead of a second
 * pass over the n x n result.
 */
public record ScaledGram(boolean columns, double c) implements FusedOp {
    /** Whether {@code x}'s Gram product (n x n) is taken by {@link SymmetricGemm}, the only case this op fuses. */
    public static boolean applies(Node x, boolean columns) {
        return x.shape().rank() == 2 && SymmetricGemm.worthIt(columns, x.shape().dim(columns ? 1 : 0), x.shape().dim(columns ? 0 : 1));
    }

    public static Node of(Node x, boolean columns, double c) {
        int n = x.shape().dim(columns ? 1 : 0);
        return x.graph().node(new ScaledGram(columns, c), Shape.of(n, n), x);
    }

    @Override public String name() { return "gram+scale"; }

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
                out[i * n + j] = c * s;
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), n = y.shape().dim(0), k = x.shape().dim(columns ? 0 : 1), ld = x.shape().dim(1);
        float cf = (float) c;
        return () -> SymmetricGemm.gram(columns, n, k, cf, xa, xo, ld, out, oo);
    }
}
