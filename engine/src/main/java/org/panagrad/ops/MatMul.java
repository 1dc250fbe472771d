package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Gemm;
import org.panagrad.kernels.GemmEpilogue;
import org.panagrad.kernels.GemmOperand;
import org.panagrad.runtime.Buffers;
import org.panagrad.runtime.Instruction;

/** op(A) · op(B), where op transposes when asked. GEMM packs its operands, so transposes cost nothing. */
public record MatMul(boolean transA, boolean transB) implements Op {
    public static Node of(Node a, Node b, boolean transA, boolean transB) {
        String op = "matmul";
        if (a.shape().rank() != 2 || b.shape().rank() != 2) {
            throw ShapeException.of(op, a, b, "both operands must be matrices");
        }
        int m = transA ? a.shape().dim(1) : a.shape().dim(0), ka = transA ? a.shape().dim(0) : a.shape().dim(1);
        int kb = transB ? b.shape().dim(1) : b.shape().dim(0), n = transB ? b.shape().dim(0) : b.shape().dim(1);
        if (ka != kb) {
            throw ShapeException.of(op + (transA ? " (A transposed)" : "") + (transB ? " (B transposed)" : ""),
                    a, b, "inner dimensions " + ka + " and " + kb + " differ");
        }
        return a.graph().node(new MatMul(transA, transB), Shape.of(m, n), a, b);
    }

    @Override
    public String name() {
        return "matmul" + (transA ? "_tn" : "") + (transB ? (transA ? "" : "_nt") : "");
    }

    /** The inner dimension k of the product y. */
    public int inner(Node y) {
        Shape a = y.input(0).shape();
        return transA ? a.dim(0) : a.dim(1);
    }

    // With C = op(A) op(B): d op(A) = G op(B)^T and d op(B) = op(A)^T G, transposed back where op transposes.
    @Override
    public Node[] vjp(Node y, Node g) {
        Node a = y.input(0), b = y.input(1);
        Node ga = transA ? of(b, g, transB, true) : of(g, b, false, !transB);
        Node gb = transB ? of(g, a, true, transA) : of(a, g, !transA, false);
        return new Node[] {ga, gb};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node a = y.input(0), b = y.input(1);
        return Tangents.add(t[0] == null ? null : of(t[0], b, transA, transB),
                t[1] == null ? null : of(a, t[1], transA, transB));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int m = y.shape().dim(0), n = y.shape().dim(1), k = inner(y);
        int lda = y.input(0).shape().dim(1), ldb = y.input(1).shape().dim(1);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? in[0][p * lda + i] : in[0][i * lda + p];
                    double bv = transB ? in[1][j * ldb + p] : in[1][p * ldb + j];
                    s += av * bv;
                }
                out[i * n + j] = s;
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers buf) {
        return compileGemm(y, buf, null, false, null);
    }

    /**
     * The GEMM call for y (a matmul or a fusion of one), with a bias row, ReLU and a mask (zeroing where the
     * mask is not positive, see {@link Gemm#gemm}) fused into its epilogue when given.
     */
    public Instruction compileGemm(Node y, Buffers buf, Node bias, boolean relu, Node mask) {
        Node a = y.input(0), b = y.input(1);
        int m = y.shape().dim(0), n = y.shape().dim(1), k = inner(y);
        int lda = a.shape().dim(1), ldb = b.shape().dim(1);
        GemmOperand ao = new GemmOperand(buf.array(a), buf.offset(a), lda, transA);
        GemmOperand bo = new GemmOperand(buf.array(b), buf.offset(b), ldb, transB);
        GemmOperand c = GemmOperand.of(buf.array(y), buf.offset(y), n);
        GemmEpilogue epilogue = new GemmEpilogue(bias == null ? null : buf.array(bias), bias == null ? 0 : buf.offset(bias),
                relu, mask == null ? null : buf.array(mask), mask == null ? 0 : buf.offset(mask));
        return () -> Gemm.gemm(m, n, k, 1f, ao, bo, 0f, c, epilogue);
    }

    @Override
    public long flops(Node y) {
        return 2L * y.shape().numel() * inner(y);
    }
}
