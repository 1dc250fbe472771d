package org.panagrad.compiler;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.testing.Reference.assertClose;

/**
 * The elementwise rewrites at rank 4: ReLU's backward becomes one masked pass, and a broadcast operand's
 * expanded tangent is read unexpanded, as at rank 2.
 */
class FusionAtAnyRankTest {
    @Test
    void reluBackwardAndExpandFoldingOnAnActivationOfRankFour() {
        Graph g = new Graph();
        Node x = g.input("x", 2, 3, 5, 7), b = g.input("b", 3, 1, 1), v = g.input("v", 3, 1, 1);
        Node loss = Ops.sum(Ops.mul(Ops.relu(Ops.add(x, b)), Ops.relu(x)));
        Node grad = Autodiff.grad(loss, x, b)[1];
        Node hvp = Autodiff.hvpForwardOverReverse(loss, new Node[] {b}, new Node[] {v})[0];
        Program p = Compiler.compile(new ParameterStore(), List.of(grad, hvp));
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertTrue(ops.contains("relu_backward"), ops.toString());
        assertTrue(!ops.contains("step") && !ops.contains("expand"), ops.toString());

        Random rnd = new Random(5);
        Map<Node, double[]> feed = Reference.feed(rnd, List.of(x, b, v), -1, 1);
        Map<Node, double[]> expected = ReferenceInterpreter.evaluate(List.of(grad, hvp), feed);
        feed.forEach((n, a) -> p.set(n, Reference.toFloat(a)));
        p.run();
        assertClose("bias gradient", expected.get(grad), Reference.toDouble(p.get(grad)), 1e-5, 1e-6);
        assertClose("bias hvp", expected.get(hvp), Reference.toDouble(p.get(hvp)), 1e-5, 1e-6);
        assertEquals(3, p.get(grad).length);
    }
}
