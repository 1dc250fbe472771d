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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chains of two broadcasting binary ops whose first result nothing else reads run as one pass (ElementwiseChain): the
 * HVP of six layer norm + GELU layers has many, and runs with them to the float64 reference and to the same bits
 * as the program compiled without fusion; a product read elsewhere is stored, and a program with few chains keeps
 * its binary ops.
 */
class ElementwiseChainsTest {
    @Test
    void layerNormAndGeluHvpRunsItsChainsAsOnePassEach() {
        Graph g = new Graph();
        Node x = g.input("x", 6, 5, 16), w = g.input("w", 16), b = g.input("b", 16), c = g.input("c", 6, 5, 16);
        Node h = x;
        for (int layer = 0; layer < 6; layer++) h = Ops.gelu(Ops.layerNorm(h, new int[] {16}, w, b, 1e-6));
        Node loss = Ops.sum(Ops.mul(c, h));
        Node[] params = {x, w, b};
        Node[] v = {g.input("vx", 6, 5, 16), g.input("vw", 16), g.input("vb", 16)};
        List<Node> outputs = new ArrayList<>(List.of(loss));
        outputs.addAll(List.of(Autodiff.hvpReverseOverReverse(loss, params, v)));
        List<Node> leaves = new ArrayList<>(List.of(x, w, b, c));
        leaves.addAll(List.of(v));

        Program fused = Compiler.compile(new ParameterStore(), outputs);
        Program apart = Compiler.compile(new ParameterStore(), outputs, new Compiler.Options(true, true, true, false));
        List<String> ops = fused.instructionNodes().stream().map(n -> n.op().name()).toList();
        long chains = ops.stream().filter(o -> o.startsWith("chain_")).count();
        assertTrue(chains >= ElementwiseChains.MIN_CHAINS, ops.toString());
        assertEquals(apart.instructionNodes().size() - chains, fused.instructionNodes().size(), ops.toString());
        System.out.println("layer norm + gelu HVP: " + chains + " chains of " + ops.size() + " instructions");

        Map<Node, double[]> feed = Reference.feed(new Random(3), leaves, -1, 1);
        Map<Node, double[]> expected = ReferenceInterpreter.evaluate(outputs, feed);
        for (Program p : List.of(fused, apart)) {
            feed.forEach((n, val) -> p.set(n, Reference.toFloat(val)));
            p.run();
        }
        for (Node o : outputs) {
            Reference.assertClose(o.describe(), expected.get(o), Reference.toDouble(fused.get(o)), 1e-3, 1e-4);
            assertArrayEquals(apart.get(o), fused.get(o), o.describe() + ": fused and apart differ");
        }
    }

    @Test
    void aProductReadElsewhereIsStored() {
        Graph g = new Graph();
        Node a = g.input("a", 4, 32), b = g.input("b", 32), c = g.input("c", 4, 32);
        Node product = Ops.mul(a, b);
        List<Node> outputs = new ArrayList<>(List.of(Ops.add(product, c), Ops.sum(product)));
        Node acc = c;
        for (int i = 0; i < ElementwiseChains.MIN_CHAINS; i++) acc = Ops.sub(acc, Ops.mul(a, acc));
        outputs.add(acc);
        Program p = Compiler.compile(new ParameterStore(), outputs);
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertEquals(1, ops.stream().filter("mul"::equals).count(), ops.toString());
        assertEquals(1, ops.stream().filter("add"::equals).count(), ops.toString());
        assertEquals(ElementwiseChains.MIN_CHAINS, ops.stream().filter("chain_mul_subtracted"::equals).count(), ops.toString());

        Map<Node, double[]> feed = Reference.feed(new Random(4), List.of(a, b, c), -1, 1);
        Map<Node, double[]> expected = ReferenceInterpreter.evaluate(outputs, feed);
        feed.forEach((n, val) -> p.set(n, Reference.toFloat(val)));
        p.run();
        for (Node o : outputs) Reference.assertClose(o.describe(), expected.get(o), Reference.toDouble(p.get(o)), 1e-4, 1e-5);
    }

    @Test
    void aFewChainsStayTwoOps() {
        Graph g = new Graph();
        Node a = g.input("a", 4, 32), c = g.input("c", 4, 32);
        Program p = Compiler.compile(new ParameterStore(), List.of(Ops.sub(c, Ops.mul(a, c)), Ops.add(Ops.mul(a, a), c)));
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).sorted().toList();
        assertEquals(List.of("add", "mul", "mul", "sub"), ops);
    }
}
