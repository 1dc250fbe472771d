package org.panagrad.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Convolutions and pools refuse what does not fit when the node is built, naming the op, the shapes and why; and get PyTorch's output shapes. */
class ConvShapeErrorTest {
    private final Graph g = new Graph();
    private final Node x = g.input("x", 2, 6, 28, 28);

    private static void assertMessage(Executable build, String... parts) {
        ShapeException e = assertThrows(ShapeException.class, build);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention " + p);
    }

    private static int[] p(int... v) {
        return v;
    }

    @Test
    void convolutionShapes() {
        assertEquals(Shape.of(2, 16, 24, 24), Ops.conv2d(x, g.input("w", 16, 6, 5, 5), null).shape());
        assertEquals(Shape.of(2, 8, 14, 14), Ops.conv2d(x, g.input("w2", 8, 6, 3, 3), g.input("b", 8), p(2), p(1), p(1), 1).shape());
        assertEquals(Shape.of(2, 4, 28, 28), Ops.conv2dSame(x, g.input("w3", 4, 3, 4, 2), null, p(1), 2).shape());
        assertEquals(Shape.of(2, 6, 24, 26), Ops.conv2d(x, g.input("w4", 6, 1, 3, 3), null, p(1), p(0), p(2, 1), 6).shape());
        assertEquals(Shape.of(2, 6 * 28 * 28), Ops.flatten(x, 1).shape());
        assertEquals(Shape.of(2, 6, 1, 1), Ops.adaptiveAvgPool2d1(x).shape());
    }

    @Test
    void convolutionErrors() {
        assertMessage(() -> Ops.conv2d(x, g.input("big", 3, 6, 29, 3), null), "conv2d", "x [2x6x28x28]", "big [3x6x29x3]",
                "kernel 29x3 is larger than the padded input 28x28");
        assertMessage(() -> Ops.conv2d(x, g.input("dilated", 3, 6, 3, 3), null, p(1), p(0), p(14), 1), "kernel 29x29 (dilated)");
        assertMessage(() -> Ops.conv2d(x, g.input("w", 4, 2, 3, 3), null, p(1), p(0), p(1), 4), "input channels 6 do not divide by groups 4");
        assertMessage(() -> Ops.conv2d(x, g.input("w5", 5, 3, 3, 3), null, p(1), p(0), p(1), 2), "output channels 5 do not divide by groups 2");
        assertMessage(() -> Ops.conv2d(x, g.input("w6", 4, 2, 3, 3), null), "the weight takes 2 input channels per group", "has 6 channels");
        assertMessage(() -> Ops.conv2d(g.input("flat", 2, 784), g.input("w7", 4, 1, 3, 3), null), "conv2d", "[N, C, H, W]");
        assertMessage(() -> Ops.conv2d(x, g.input("w8", 4, 6, 3, 3), g.input("b8", 5)), "conv2d", "bias", "[4]");
        assertMessage(() -> Ops.conv2d(x, g.input("w9", 4, 6, 3, 3), null, p(0), p(0), p(1), 1), "stride and dilation must be at least 1");
        assertMessage(() -> Ops.conv2d(x, g.input("w10", 4, 6, 3, 3), null, p(1, 1, 1), p(0), p(1), 1), "stride needs one value or two");
    }

    @Test
    void poolShapesAndErrors() {
        assertEquals(Shape.of(2, 6, 14, 14), Ops.maxPool2d(x, 2).shape());
        assertEquals(Shape.of(2, 6, 14, 14), Ops.maxPool2d(x, p(3), p(2), p(1)).shape());
        assertEquals(Shape.of(2, 6, 9, 27), Ops.avgPool2d(x, p(3, 2), p(3, 1), p(0)).shape());
        assertMessage(() -> Ops.maxPool2d(x, p(29), null, p(0)), "max_pool2d", "x [2x6x28x28]", "kernel is larger than the padded input 28x28");
        assertMessage(() -> Ops.avgPool2d(x, p(3), p(1), p(2)), "avg_pool2d", "padding must be at most half the kernel size");
        assertMessage(() -> Ops.maxPool2d(g.input("v", 6, 28, 28), 2), "max_pool2d", "[N, C, H, W]");
        assertMessage(() -> Ops.flatten(x, 4), "flatten", "start axis 4");
    }
}
