package org.panagrad.ops;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.testing.Reference;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** where with a causal mask, as attention uses it: masked scores get no weight and no gradient. */
class WhereTest {
    @Test
    void causalAttentionWeightsIgnoreTheFuture() {
        int n = 5;
        Graph g = new Graph();
        Node scores = g.input("scores", 2, n, n);
        Node masked = Ops.where(BroadcastOpCases.causal(g, n), scores, g.fill(Double.NEGATIVE_INFINITY, Shape.scalar()));
        Node weights = Ops.softmax(masked, -1);
        Node v = g.input("v", 2, n, n);
        Node grad = Autodiff.grad(Ops.sum(Ops.mul(weights, v)), scores)[0];
        Program p = Compiler.compile(new ParameterStore(), List.of(weights, grad));
        p.set(scores, Reference.toFloat(Reference.random(new java.util.Random(1), 2 * n * n, -3, 3)));
        p.set(v, Reference.toFloat(Reference.random(new java.util.Random(2), 2 * n * n, -1, 1)));
        p.run();
        float[] w = p.get(weights), dw = p.get(grad);
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < n; i++) {
                float rowSum = 0;
                for (int j = 0; j < n; j++) {
                    int at = (b * n + i) * n + j;
                    rowSum += w[at];
                    if (j > i) {
                        assertEquals(0f, w[at], "weight of a future key");
                        assertEquals(0f, dw[at], "gradient of a future key's score");
                    }
                }
                assertEquals(1f, rowSum, 1e-6f);
            }
        }
    }

    @Test
    void theMaskIsAConstantOfZerosAndOnes() {
        Graph g = new Graph();
        Node a = g.input("a", 3), b = g.input("b", 3);
        ShapeException notConstant = assertThrows(ShapeException.class, () -> Ops.where(g.input("m", 3), a, b));
        assertTrue(notConstant.getMessage().contains("constant"), notConstant.getMessage());
        ShapeException notBinary = assertThrows(ShapeException.class,
                () -> Ops.where(g.constant("half", Shape.of(3), new float[] {0, 0.5f, 1}), a, b));
        assertTrue(notBinary.getMessage().contains("0 and 1"), notBinary.getMessage());
        ShapeException shapes = assertThrows(ShapeException.class,
                () -> Ops.where(g.constant("m4", Shape.of(4), new float[4]), a, b));
        assertTrue(shapes.getMessage().contains("where") && shapes.getMessage().contains("m4 [4]"), shapes.getMessage());
    }
}
