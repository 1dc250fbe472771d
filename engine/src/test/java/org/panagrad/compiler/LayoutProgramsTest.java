package org.panagrad.compiler;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.DType;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.ShapeException;
import org.panagrad.graph.Storage;
import org.panagrad.ops.LayoutOpCases;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SteadyState;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.ops.Ops.gather;
import static org.panagrad.ops.Ops.matmul;
import static org.panagrad.ops.Ops.permute;
import static org.panagrad.ops.Ops.reshape;
import static org.panagrad.testing.Reference.assertClose;

/**
 * Compiled float32 programs of the layout ops and batched matmul (their values, VJPs and JVPs) agree with the
 * float64 reference, with the passes on and off; views share memory without being written over.
 */
class LayoutProgramsTest {

    @TestFactory
    Stream<DynamicTest> programsComputeWhatTheReferenceComputes() {
        return LayoutOpCases.cases().stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> {
            Random rnd = new Random(k.name().hashCode());
            Graph g = new Graph();
            Node[] xs = new Node[k.shapes().length], us = new Node[xs.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = g.input("x" + i, k.shapes()[i]);
                us[i] = g.input("u" + i, k.shapes()[i]);
            }
            Node y = k.f().apply(xs);
            Node w = g.input("w", y.shape().dims());
            List<Node> outs = new ArrayList<>(List.of(y));
            outs.addAll(List.of(Autodiff.vjp(y, w, xs)));
            outs.add(Autodiff.jvp(new Node[] {y}, xs, us)[0]);
            List<Node> leaves = new ArrayList<>(List.of(xs));
            leaves.addAll(List.of(us));
            leaves.add(w);
            for (Node n : g.nodes()) if (n.op().storage() == Storage.INPUT && n.dtype() == DType.LABELS) leaves.add(n);
            Map<Node, double[]> feed = Reference.feed(rnd, leaves, -1, 1);
            Map<Node, double[]> expected = ReferenceInterpreter.evaluate(outs, feed);
            for (Compiler.Options options : List.of(Compiler.Options.ALL, Compiler.Options.NONE)) {
                Program p = Compiler.compile(new ParameterStore(), outs, options);
                feed(p, feed);
                p.run();
                p.run();
                for (Node o : outs) {
                    assertClose(k.name() + " " + o.describe(), expected.get(o), Reference.toDouble(p.get(o)), 1e-5, 1e-6);
                }
            }
        }));
    }

    static void feed(Program p, Map<Node, double[]> feed) {
        feed.forEach((leaf, values) -> {
            if (leaf.dtype() == DType.LABELS) {
                int[] ints = new int[values.length];
                for (int i = 0; i < ints.length; i++) ints[i] = (int) values[i];
                p.setLabels(leaf, ints);
            } else {
                p.set(leaf, Reference.toFloat(values));
            }
        });
    }

    /** A reshape of a computed value is a view: no instruction, no memory; a reshape of an input is a copy. */
    @Test
    void reshapesOfComputedValuesAreFree() {
        Graph g = new Graph();
        Node x = g.input("x", 6, 4);
        Node t = Ops.tanh(x);
        Node y = Ops.exp(reshape(t, 4, 6)), z = Ops.neg(reshape(x, 3, 8));
        Program p = Compiler.compile(new ParameterStore(), List.of(y, z));
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertEquals(List.of("tanh", "exp", "reshape", "neg"), ops, "only the input's reshape copies");
        MemoryPlan plan = Compiler.planOnly(List.of(y, z), Compiler.Options.ALL);
        MemoryPlan.Allocation view = plan.allocations().stream().filter(a -> a.viewOf() == t).findFirst().orElseThrow();
        assertEquals(plan.byNode().get(t).offset(), view.offset());
    }

    /**
     * A view keeps the memory it reads alive: exp(t), which could otherwise be written over t where t's last
     * direct reader is, must not be while a reshape of t is read later.
     */
    @Test
    void aViewKeepsItsSourceFromBeingWrittenOver() {
        Graph g = new Graph();
        Node x = g.input("x", 4, 6);
        Node t = Ops.tanh(x);
        Node v = reshape(t, 6, 4);
        Node e = Ops.exp(t); // t's last direct reader: in place over t, were it not for v
        Node out = Ops.add(Ops.sum(e), Ops.sum(Ops.mul(v, v)));
        Program p = Compiler.compile(new ParameterStore(), List.of(out));
        Map<Node, double[]> feed = Reference.feed(new Random(1), List.of(x), -1, 1);
        feed(p, feed);
        p.run();
        assertEquals(ReferenceInterpreter.evaluate(out, feed)[0], p.get(out)[0], 1e-4);
        MemoryPlan plan = Compiler.planOnly(List.of(out), Compiler.Options.ALL);
        assertTrue(plan.byNode().get(e).inPlaceOf() != t, "exp must not write over t while its view is live");
    }

    /** A contiguous slice of rows is a view at an offset; a slice of columns is a copy. */
    @Test
    void slicesOfRowsAreViewsAtTheirOffset() {
        Graph g = new Graph();
        Node x = g.input("x", 5, 4);
        Node t = Ops.tanh(x);
        Node rows = Ops.slice(t, 0, 1, 3), cols = Ops.slice(t, 1, 1, 3);
        Node y = Ops.add(Ops.sum(Ops.exp(rows)), Ops.sum(Ops.exp(cols)));
        MemoryPlan plan = Compiler.planOnly(List.of(y), Compiler.Options.ALL);
        assertEquals(plan.byNode().get(t).offset() + 4, plan.byNode().get(rows).offset());
        assertEquals(t, plan.byNode().get(rows).viewOf());
        assertEquals(null, plan.byNode().get(cols).viewOf());
        Program p = Compiler.compile(new ParameterStore(), List.of(y));
        Map<Node, double[]> feed = Reference.feed(new Random(2), List.of(x), -1, 1);
        feed(p, feed);
        p.run();
        assertEquals(ReferenceInterpreter.evaluate(y, feed)[0], p.get(y)[0], 1e-4);
    }

    /** Transposes of the last two axes in front of a matmul become its transpose flags, batched or not. */
    @Test
    void transposesFeedingAMatmulCostNothing() {
        Graph g = new Graph();
        Node a = g.input("a", 3, 7, 5), b = g.input("b", 3, 4, 7), w = g.input("w", 4, 5);
        Node y = matmul(Ops.transpose(a), Ops.transpose(b));
        Node z = matmul(Ops.transpose(w), Ops.exp(b));
        Program p = Compiler.compile(new ParameterStore(), List.of(y, z));
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertEquals(List.of("exp", "matmul_tn", "matmul_tn"), ops, "A^T B^T and W^T exp(b), no permute");
        Map<Node, double[]> feed = Reference.feed(new Random(3), List.of(a, b, w), -1, 1);
        feed(p, feed);
        p.run();
        for (Node o : List.of(y, z)) {
            assertClose(o.describe(), ReferenceInterpreter.evaluate(o, feed), Reference.toDouble(p.get(o)), 1e-5, 1e-6);
        }
    }

    /** A Linear on [B, T, in] is one GEMM with the bias and ReLU in its epilogue, forward and backward. */
    @Test
    void aLinearOnASequenceIsOneFusedGemm() {
        Graph g = new Graph();
        Node x = g.input("x", 4, 9, 6), w = g.parameter("w", 6, 5), b = g.parameter("b", 5);
        Node h = Ops.relu(Ops.add(matmul(x, w), b));
        Node loss = Ops.sum(Ops.mul(h, h));
        List<Node> outs = new ArrayList<>(List.of(loss));
        outs.addAll(List.of(Autodiff.grad(loss, w, b)));
        ParameterStore store = new ParameterStore();
        Random rnd = new Random(4);
        Map<Node, double[]> feed = Reference.feed(rnd, List.of(x, w, b), -1, 1);
        store.set(w, Reference.toFloat(feed.get(w)));
        store.set(b, Reference.toFloat(feed.get(b)));
        Program p = Compiler.compile(store, outs);
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertTrue(ops.contains("matmul+bias+relu"), ops.toString());
        assertEquals(2, ops.stream().filter(s -> s.startsWith("matmul")).count(), "forward and weight gradient: " + ops);
        p.set(x, Reference.toFloat(feed.get(x)));
        p.run();
        Map<Node, double[]> expected = ReferenceInterpreter.evaluate(outs, feed);
        for (Node o : outs) assertClose(o.describe(), expected.get(o), Reference.toDouble(p.get(o)), 1e-4, 1e-5);
    }

    /** An index outside the table fails when the program runs, naming it, its position and the bound. */
    @Test
    void anIndexOutsideTheTableFailsNamingItsPositionAndTheBound() {
        Graph g = new Graph();
        Node table = g.input("emb", 10, 4), ids = g.integers("ids", 12, 2, 5);
        ShapeException early = assertThrows(ShapeException.class, () -> gather(table, ids));
        assertTrue(early.getMessage().contains("ids [2x5]") && early.getMessage().contains("10 rows"), early.getMessage());
        Node y = gather(table, permute(ids, 1, 0)); // not a direct input: checked when it runs
        Program p = Compiler.compile(new ParameterStore(), List.of(y));
        p.set(table, new float[40]);
        p.setLabels(ids, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 11, 9});
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, p::run);
        assertTrue(e.getMessage().contains("index 11 at position [3, 1]") && e.getMessage().contains("[0, 10)")
                && e.getMessage().contains("emb [10x4]"), e.getMessage());
        Map<Node, double[]> feed = new HashMap<>();
        feed.put(table, new double[40]);
        feed.put(ids, new double[] {0, 1, 2, 3, 4, 5, 6, 7, 11, 9});
        IndexOutOfBoundsException r = assertThrows(IndexOutOfBoundsException.class, () -> ReferenceInterpreter.evaluate(y, feed));
        assertEquals(e.getMessage(), r.getMessage());
    }

    /** An attention-shaped forward and backward program allocates nothing per run. */
    @Test
    void aSteadyStateRunOfAttentionLayoutsAllocatesNothing() {
        Graph g = new Graph();
        Node x = g.input("x", 4, 17, 16), wq = g.parameter("wq", 16, 16);
        Node q = permute(reshape(matmul(x, wq), 4, 17, 4, 4), 0, 2, 1, 3);
        Node scores = matmul(q, q, false, true);
        Node out = reshape(permute(matmul(Ops.mul(scores, scores), q), 0, 2, 1, 3), 4, 17, 16);
        Node loss = Ops.sum(Ops.mul(Ops.concat(1, out, Ops.slice(out, 1, 0, 3)), Ops.concat(1, out, Ops.slice(out, 1, 0, 3))));
        List<Node> outs = new ArrayList<>(List.of(loss));
        outs.addAll(List.of(Autodiff.grad(loss, wq)));
        ParameterStore store = new ParameterStore();
        store.set(wq, Reference.toFloat(Reference.random(new Random(5), 256, -0.3, 0.3)));
        Program p = Compiler.compile(store, outs);
        p.set(x, Reference.toFloat(Reference.random(new Random(6), 4 * 17 * 16, -1, 1)));
        for (int i = 0; i < 3000; i++) p.run();
        long bytes = SteadyState.allocatedBytes(p::run, 50);
        assertEquals(0, bytes, "50 runs allocated " + bytes + " bytes");
    }
}
