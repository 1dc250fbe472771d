package org.panagrad.compiler;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.ops.fused.ScaledGram;
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
 * A Kronecker factor's c X^T X (and c X X^T) compiles to one symmetric product that scales in its stores, and
 * still matches the float64 reference of the unfused graph; a product that something else also reads, or one too
 * narrow for the symmetric kernel, keeps its own scale.
 */
class GramScaleFusionTest {
    @Test
    void scaleFusesIntoTheGramProduct() {
        Graph g = new Graph();
        Node a = g.input("a", 37, 150), d = g.input("d", 160, 29);
        Node factorA = Ops.scale(Ops.matmul(a, a, true, false), 1.0 / 37);
        Node factorG = Ops.scale(Ops.matmul(d, d, false, true), 0.5);
        List<Node> outputs = List.of(factorA, factorG);
        Program p = Compiler.compile(new ParameterStore(), outputs);
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertEquals(List.of("gram+scale", "gram+scale"), ops, ops.toString());

        Map<Node, double[]> feed = Reference.feed(new Random(5), List.of(a, d), -1, 1);
        Map<Node, double[]> expected = ReferenceInterpreter.evaluate(outputs, feed);
        feed.forEach((n, v) -> p.set(n, Reference.toFloat(v)));
        p.run();
        for (Node o : outputs) assertClose(o.toString(), expected.get(o), Reference.toDouble(p.get(o)), 1e-4, 1e-5);
    }

    /**
     * The upper form (K-FAC's factors, made directly, never by fusion): the reference's upper triangle and zeros
     * below it; on and above the diagonal the same bits as the whole fused product of the same input.
     */
    @Test
    void upperFormIsTheUpperTriangleAndZeroBelow() {
        Graph g = new Graph();
        Node a = g.input("a", 37, 150), d = g.input("d", 160, 29);
        Node upperA = ScaledGram.upperOf(a, true, 1.0 / 37), upperG = ScaledGram.upperOf(d, false, 0.5);
        Node wholeA = Ops.scale(Ops.matmul(a, a, true, false), 1.0 / 37);
        List<Node> outputs = List.of(upperA, upperG, wholeA);
        Program p = Compiler.compile(new ParameterStore(), outputs);
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertEquals(List.of("upper_gram+scale", "upper_gram+scale", "gram+scale"), ops, ops.toString());

        Map<Node, double[]> feed = Reference.feed(new Random(7), List.of(a, d), -1, 1);
        Map<Node, double[]> expected = ReferenceInterpreter.evaluate(outputs, feed);
        feed.forEach((n, v) -> p.set(n, Reference.toFloat(v)));
        p.run();
        float[] whole = p.get(wholeA), upper = p.get(upperA);
        for (int i = 0; i < 150; i++) {
            for (int j = 0; j < 150; j++) {
                assertEquals(j >= i ? whole[i * 150 + j] : 0f, upper[i * 150 + j], 0f, "A at " + i + "," + j);
            }
        }
        for (Node o : outputs) assertClose(o.toString(), expected.get(o), Reference.toDouble(p.get(o)), 1e-4, 1e-5);
    }

    @Test
    void aProductReadElsewhereOrTooNarrowKeepsItsScale() {
        Graph g = new Graph();
        Node a = g.input("a", 20, 150), b = g.input("b", 20, 40);
        Node gram = Ops.matmul(a, a, true, false);
        List<Node> outputs = List.of(Ops.scale(gram, 0.5), Ops.sum(gram), Ops.scale(Ops.matmul(b, b, true, false), 0.5));
        Program p = Compiler.compile(new ParameterStore(), outputs);
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertTrue(!ops.contains("gram+scale") && ops.stream().filter("scale"::equals).count() == 2, ops.toString());
    }
}
