package org.panagrad.ops.fused;

import org.panagrad.ops.MatMul;
/**
 * A fused op built around a GEMM whose operands are its first two inputs: tools that describe programs show
 * it as a product.
 */
public interface ContainsProduct {
    MatMul product();
}
