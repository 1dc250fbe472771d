package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.ops.MatMul;

/** op(A) · op(B) + bias, optionally followed by ReLU, in one GEMM whose epilogue adds and clamps. */
public record FusedLinear(MatMul matmul, boolean relu) implements FusedOp, ContainsProduct {
    /** Fuses {@code product + bias} (bias a row broadcast over the product) and an optional ReLU. */
    public static Node of(Node product, Node bias, boolean relu, Shape out) {
        MatMul mm = (MatMul) product.op();
        return product.graph().node(new FusedLinear(mm, relu), out, product.input(0), product.input(1), bias);
    }

    @Override
    public MatMul product() {
        return matmul;
    }

    @Override
    public String name() {
        return matmul.name() + "+bias" + (relu ? "+relu" : "");
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        matmul.reference(y, in, out); // y has the product's operands and shape
        int n = y.shape().cols();
        for (int i = 0; i < out.length; i++) {
            double v = out[i] + in[2][i % n];
            out[i] = relu && v < 0 ? 0 : v;
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        return matmul.compileGemm(y, b, y.input(2), relu, null);
    }

    @Override
    public long flops(Node y) {
        return matmul.flops(y);
    }
}
