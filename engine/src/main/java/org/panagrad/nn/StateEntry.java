package org.panagrad.nn;

import org.panagrad.graph.Node;

import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * One tensor of a module's state dict, as PyTorch names and lays it out: a trainable parameter or a buffer
 * (batch norm's running statistics). {@code torchShape} and the two conversions say how the engine's layout
 * maps to PyTorch's (a Linear weight is [in, out] here, [out, in] there); {@code dtype} is the safetensors
 * dtype PyTorch uses for it ("F32", or "I64" for a counter such as num_batches_tracked).
 */
public record StateEntry(String name, Node node, boolean trainable, int[] torchShape, String dtype,
                         UnaryOperator<float[]> toTorch, UnaryOperator<float[]> fromTorch) {

    /** A float32 tensor stored in PyTorch's layout as it is. */
    public static StateEntry same(String name, Node node, boolean trainable) {
        return new StateEntry(name, node, trainable, node.shape().dims(), "F32", UnaryOperator.identity(),
                UnaryOperator.identity());
    }

    @Override
    public int[] torchShape() {
        return torchShape.clone();
    }

    @Override
    public String toString() {
        return name + " " + Arrays.toString(torchShape) + " " + dtype;
    }
}
