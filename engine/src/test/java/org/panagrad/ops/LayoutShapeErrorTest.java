package org.panagrad.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The layout ops refuse bad arguments when the node is built, naming the op, the operands and what is wrong. */
class LayoutShapeErrorTest {
    private final Graph g = new Graph();
    private final Node x = g.input("x", 2, 3, 4);

    private static void assertMessage(Executable build, String... parts) {
        ShapeException e = assertThrows(ShapeException.class, build);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention " + p);
    }

    @Test
    void reshape() {
        assertMessage(() -> Ops.reshape(x, 5, -1), "reshape", "x [2x3x4]", "24 elements", "5");
        assertMessage(() -> Ops.reshape(x, -1, -1), "reshape", "x [2x3x4]", "at most one -1");
        assertEquals(Shape.of(6, 4), Ops.reshape(x, -1, 4).shape());
    }

    @Test
    void permuteAndTranspose() {
        assertMessage(() -> Ops.permute(x, 0, 0, 1), "permute", "x [2x3x4]", "[0, 0, 1]");
        assertMessage(() -> Ops.permute(x, 0, 1), "permute", "x [2x3x4]", "3 axes");
        assertMessage(() -> Ops.permute(x, 0, 1, 3), "permute", "[0, 1, 3]");
        assertSame(x, Ops.permute(x, 0, 1, 2), "the identity builds nothing");
        assertEquals(Shape.of(4, 2, 3), Ops.permute(x, -1, 0, 1).shape());
    }

    @Test
    void sliceSelectAndPad() {
        assertMessage(() -> Ops.slice(x, 1, 2, 2), "slice", "x [2x3x4]", "2:2", "axis 1", "selects nothing");
        assertMessage(() -> Ops.slice(x, 3, 0, 1), "slice", "x [2x3x4]", "axis 3");
        assertMessage(() -> Ops.slice(x, 2, 0, 4, 0), "slice", "step", "positive");
        assertMessage(() -> Ops.slice(x, new int[] {0}, new int[] {1}, new int[] {1}), "slice", "x [2x3x4]", "3 axes");
        assertMessage(() -> Ops.select(x, 1, 3), "select", "x [2x3x4]", "index 3", "length 3");
        assertMessage(() -> Ops.pad(x, new int[] {0, -1, 0}, new int[] {0, 0, 0}), "pad", "x [2x3x4]", "negative");
        assertMessage(() -> Ops.pad(x, new int[] {1}, new int[] {1}), "pad", "x [2x3x4]", "3 axes");
        assertEquals(Shape.of(2, 1, 4), Ops.slice(x, 1, -1, 100).shape(), "negative starts count from the end, stops clamp");
        assertEquals(Shape.of(2, 4), Ops.select(x, 1, -1).shape());
    }

    @Test
    void concat() {
        assertMessage(() -> Ops.concat(1, x, g.input("y", 2, 3, 5)), "concat", "axis 1", "y [2x3x5]", "x [2x3x4]");
        assertMessage(() -> Ops.concat(0, x, g.input("v", 24)), "concat", "v [24]");
        assertMessage(() -> Ops.concat(3, x, x), "concat", "x [2x3x4]", "axis 3");
        assertMessage(() -> Ops.concat(0, x, g.integers("i", 5, 2, 3, 4)), "concat", "i [2x3x4]");
        assertSame(x, Ops.concat(0, x));
    }

    @Test
    void gatherAndScatterAdd() {
        Node ids = g.integers("ids", 10, 7);
        assertMessage(() -> Ops.gather(g.input("emb", 9, 4), ids), "gather", "emb [9x4]", "ids [7]", "9 rows");
        assertMessage(() -> Ops.gather(g.input("emb2", 10, 4), g.input("f", 7)), "gather", "f [7]", "integers");
        assertMessage(() -> Ops.gather(g.input("s"), ids), "gather", "s []", "scalar");
        assertMessage(() -> ScatterAdd.of(g.input("v", 7, 3), ids, Shape.of(10, 4)), "scatter_add", "v [7x3]", "[10x4]");
        assertEquals(Shape.of(7, 3, 2), Ops.gather(g.input("t", 10, 3, 2), ids).shape());
    }
}
