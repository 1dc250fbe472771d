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
        assertMessage(() -> Ops.matmul(x, g.input("v", 3)), "matmul", "x [128x784]", "v [3]", "matrices");
    }

    @Test
    void broadcastingBinaryOps() {
        Node b = g.input("b", 500);
        assertMessage(() -> Ops.add(x, b), "add", "x [128x784]", "b [500]", "broadcast");
        assertMessage(() -> Ops.sub(x, b), "sub", "[128x784]", "[500]");
        assertMessage(() -> Ops.mul(x, g.input("c", 127, 1)), "mul", "[128x784]", "[127x1]");
        assertMessage(() -> Ops.div(x, b), "div", "[128x784]", "[500]");
        assertMessage(() -> Ops.maximum(x, b), "maximum", "[128x784]", "[500]");
    }

    @Test
    void reshapeTransposeAndReductions() {
        assertMessage(() -> Ops.reshape(x, 100, 100), "reshape", "x [128x784]", "[100x100]");
        assertMessage(() -> Ops.transpose(g.input("v", 7)), "transpose", "v [7]");
        assertMessage(() -> Ops.sum(x, 2, false), "sum", "x [128x784]", "axis 2");
        assertMessage(() -> Ops.softmax(g.input("s")), "softmax", "s []");
    }

    @Test
    void losses() {
        Node labels = g.labels("y", 64, 10);
        assertMessage(() -> SoftmaxCrossEntropy.of(g.input("z", 128, 10), labels), "softmax_cross_entropy",
                "z [128x10]", "y [64]", "128", "64");
        assertMessage(() -> SoftmaxCrossEntropy.of(g.input("z2", 64, 9), labels), "10 classes", "[64x9]");
        assertMessage(() -> SoftmaxCrossEntropy.of(g.input("z3", 64, 10), g.input("t", 64)), "labels");
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
