package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;
import org.panagrad.ops.MatMul;

/**
 * op(A) · op(B) where the mask is positive, else 0: ReLU's backward taking in the GEMM of its incoming
 * gradient, {@code dH = (dY W^T) * [H > 0]}, one pass instead of a product and a masked copy. Inputs (A, B, mask).
 * When the GEMM sums all of k before writing an element, the result may be written over the mask (the
 * activation H), which the backward pass no longer needs once this runs.
 */
public record MaskedProduct(MatMul matmul) implements FusedOp, ContainsProduct {
    public static Node of(Node product, Node mask) {
        return product.graph().node(new MaskedProduct((MatMul) product.op()), product.shape(), product.input(0),
                product.input(1), mask);
    }

    @Override
    public MatMul product() {
        return matmul;
    }

    @Override
    public String name() {
        return matmul.name() + "+relu_backward";
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        matmul.reference(y, in, out); // y has the product's operands and shape
        for (int i = 0; i < out.length; i++) if (!(in[2][i] > 0)) out[i] = 0;
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        return matmul.compileGemm(y, b, null, false, y.input(2));
    }

    @Override
    public int inPlaceInput(Node y) {
        Node mask = y.input(2);
        boolean operand = y.input(0) == mask || y.input(1) == mask; // still being read while C is written
        return Gemm.writesEachOutputOnce(matmul.inner(y)) && !operand ? 2 : -1;
    }

    @Override
    public long flops(Node y) {
        return matmul.flops(y);
    }
}
