package org.panagrad.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.ShapeException;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A shape mismatch fails when the node is built, naming the op, the operands and both shapes. */
class ShapeErrorTest {
    private final Graph g = new Graph();
    private final Node x = g.input("x", 128, 784);
    private final Node w = g.input("w1", 500, 10);

    private static void assertMessage(Executable build, String... parts) {
        ShapeException e = assertThrows(ShapeException.class, build);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention " + p);
    }

    @Test
    void matmul() {
        assertMessage(() -> Ops.matmul(x, w), "matmul", "x [128x784]", "w1 [500x10]", "784", "500");
        assertMessage(() -> Ops.matmul(x, w, false, true), "B transposed", "x [128x784]", "w1 [500x10]");
        assertMessage(() -> Ops.matmul(x, g.input("v", 3)), "matmul", "x [128x784]", "v [3]", "784", "3");
        assertMessage(() -> Ops.matmul(g.input("q", 2, 4, 7, 16), g.input("k", 3, 16, 7)), "matmul", "q [2x4x7x16]",
                "k [3x16x7]", "batch", "4 vs 3");
        assertMessage(() -> Ops.matmul(g.input("s"), w), "matmul", "s []", "at least one axis");
    }

    @Test
    void broadcastingBinaryOps() {
        Node b = g.input("b", 500);
        assertMessage(() -> Ops.add(x, b), "add", "x [128x784]", "b [500]", "broadcast");
        assertMessage(() -> Ops.sub(x, b), "sub", "[128x784]", "[500]");
        assertMessage(() -> Ops.mul(x, g.input("c", 127, 1)), "mul", "[128x784]", "[127x1]");
        assertMessage(() -> Ops.div(x, b), "div", "[128x784]", "[500]");
        assertMessage(() -> Ops.maximum(x, b), "maximum", "[128x784]", "[500]");
        // Rank 4: the axis of the result and both sizes.
        Node act = g.input("act", 32, 64, 14, 14);
        assertMessage(() -> Ops.add(act, g.input("bias", 63, 1, 1)), "add", "act [32x64x14x14]", "bias [63x1x1]",
                "dimension 1", "64 vs 63");
        assertMessage(() -> Ops.broadcastTo(g.input("small", 3, 2), 3, 5), "broadcast_to", "small [3x2]", "[3x5]");
    }

    @Test
    void reshapeTransposeAndReductions() {
        assertMessage(() -> Ops.reshape(x, 100, 100), "reshape", "x [128x784]", "[100x100]");
        assertMessage(() -> Ops.transpose(g.input("v", 7)), "transpose", "v [7]");
        assertMessage(() -> Ops.transpose(x, 0, 2), "transpose", "x [128x784]", "axis 2");
        assertMessage(() -> Ops.sum(x, 2, false), "sum", "x [128x784]", "axis 2");
        assertMessage(() -> Ops.softmax(g.input("s")), "softmax", "s []");
        assertMessage(() -> Ops.sum(x, new int[] {1, -1}, false), "sum", "axis -1 given twice");
        assertMessage(() -> Ops.max(x, -3, true), "max", "x [128x784]", "axis -3");
        assertMessage(() -> Ops.softmax(x, 2), "softmax", "axis 2");
    }

    @Test
    void losses() {
        Node labels = g.labels("y", 64, 10);
        assertMessage(() -> SoftmaxCrossEntropy.of(g.input("z", 128, 10), labels), "softmax_cross_entropy",
                "z [128x10]", "y [64]", "128", "64");
        assertMessage(() -> SoftmaxCrossEntropy.of(g.input("z2", 64, 9), labels), "10 classes", "[64x9]");
        assertMessage(() -> SoftmaxCrossEntropy.of(g.input("z3", 64, 10), g.input("t", 64)), "labels");
        Node pixels = g.labels("pixels", 4, 3); // [4] labels for [4x3x8x8] logits: the spatial axes are missing
        assertMessage(() -> Ops.crossEntropy(g.input("seg", 4, 3, 8, 8), pixels), "softmax_cross_entropy",
                "seg [4x3x8x8]", "pixels [4]", "[4x8x8]");
        assertMessage(() -> MeanSquaredError.of(g.input("p", 4, 3), g.input("q", 3, 4)), "mse_loss", "p [4x3]", "q [3x4]");
    }

    @Test
    void derivatives() {
        assertMessage(() -> Autodiff.grad(Ops.tanh(x), x), "grad", "[128x784]", "scalar");
        assertMessage(() -> Autodiff.jvp(new Node[] {Ops.tanh(x)}, new Node[] {x}, new Node[] {w}),
                "jvp tangent", "w1 [500x10]", "x [128x784]");
        assertMessage(() -> Autodiff.hvpForwardOverReverse(Ops.sum(x), new Node[] {x}, new Node[] {w}),
                "[500x10]", "[128x784]");
    }

    @Test
    void constantsAndLeaves() {
        assertThrows(IllegalArgumentException.class, () -> g.input("x", 3));
        assertMessage(() -> g.constant("k", org.panagrad.graph.Shape.of(2, 2), new float[3]), "constant k", "[2x2]", "3");
    }
}
