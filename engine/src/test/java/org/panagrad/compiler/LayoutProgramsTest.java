package org.panagrad.compiler;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.DType;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.ShapeException;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.ops.Ops.gather;
import static org.panagrad.ops.Ops.matmul;
import static org.panagrad.ops.Ops.permute;
import static org.panagrad.ops.Ops.reshape;
import static org.panagrad.testing.Reference.assertClose;

/**
 * Compiled programs of the layout ops and batched matmul beyond their single-op cases (LayoutOpCases, run by
 * OpGradCheckTest): views share memory without being written over, transposes and reshapes cost nothing, and
 * curvature products through a small sequence model agree with the float64 reference.
 */
class LayoutProgramsTest {

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

    /**
     * Reshapes are views: of a computed value, in its memory; of an input or a parameter, read where it is (even
     * through a slice of rows of it, at an offset, and after the input is bound to another array).
     */
    @Test
    void reshapesAreFree() {
        Graph g = new Graph();
        Node x = g.input("x", 6, 4), w = g.parameter("w", 2, 12);
        Node t = Ops.tanh(x);
        Node y = Ops.exp(reshape(t, 4, 6)), z = Ops.neg(reshape(Ops.slice(reshape(x, 3, 8), 0, 1, 3), 4, 4));
        Node u = Ops.scale(reshape(w, 4, 6), 2), flat = reshape(x, 24);
        ParameterStore store = new ParameterStore();
        Program p = Compiler.compile(store, List.of(y, z, u, flat));
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertEquals(List.of("tanh", "exp", "neg", "scale"), ops, "no reshape or slice copies anything");
        MemoryPlan plan = Compiler.planOnly(List.of(y, z), Compiler.Options.ALL);
        MemoryPlan.Allocation view = plan.allocations().stream().filter(a -> a.viewOf() == t).findFirst().orElseThrow();
        assertEquals(plan.byNode().get(t).offset(), view.offset());
        float[] wv = new float[24], first = new float[30], second = new float[24];
        for (int i = 0; i < 24; i++) {
            wv[i] = i;
            first[6 + i] = i / 24f;
            second[i] = -i / 24f;
        }
        store.set(w, wv);
        for (float[] xs : List.of(first, second)) {
            int offset = xs == first ? 6 : 0;
            p.bind(x, xs, offset);
            p.run();
            for (int i = 0; i < 16; i++) assertEquals(-xs[offset + 8 + i], p.get(z)[i], "row 1 on of [3x8], negated");
            assertEquals(java.util.Arrays.toString(java.util.Arrays.copyOfRange(xs, offset, offset + 24)),
                    java.util.Arrays.toString(p.get(flat)), "an output that is a view of an input");
            assertEquals(46f, p.get(u)[23]);
        }
    }

    /**
     * A weight read through a view (as a convolution reads its [out, in, kh, kw] weight as a matrix) reads the
     * parameter's memory: its update must wait for every reader of the view, here an output built after the
     * gradients, which must see the weights before the step as the loss does.
     */
    @Test
    void anUpdateWaitsForTheReadersOfItsParametersViews() {
        Graph g = new Graph();
        Node x = g.input("x", 5, 3), w = g.parameter("w", 3, 2, 2);
        Node loss = Ops.sum(Ops.tanh(matmul(x, reshape(w, 3, 4))));
        List<Node> params = List.of(w);
        org.panagrad.optim.Sgd sgd = org.panagrad.optim.Sgd.plain(org.panagrad.optim.LearningRateSchedule.constant(0.1));
        List<Node> outputs = new ArrayList<>(List.of(loss));
        outputs.addAll(sgd.updates(params, List.of(Autodiff.grad(loss, w))));
        Node norm = Ops.sum(Ops.mul(reshape(w, 12), reshape(w, 12))); // read through a view, after the gradient
        outputs.add(norm);
        Map<Node, double[]> feed = Reference.feed(new Random(7), List.of(x, w), -1, 1);
        ParameterStore store = new ParameterStore();
        store.set(w, Reference.toFloat(feed.get(w)));
        Program p = Compiler.compile(store, outputs);
        p.set(x, Reference.toFloat(feed.get(x)));
        sgd.beforeStep(store);
        p.run();
        assertEquals(ReferenceInterpreter.evaluate(norm, feed)[0], p.get(norm)[0], 1e-5, "the norm before the step");
        double[] want = feed.get(w).clone(), grad = ReferenceInterpreter.evaluate(Autodiff.grad(loss, w)[0], feed);
        for (int e = 0; e < want.length; e++) want[e] -= 0.1 * grad[e];
        assertClose("w after the step", want, Reference.toDouble(store.get(w)), 1e-5, 1e-6);
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

    /**
     * Hessian-vector products (both modes) and a Gauss-Newton product of a small sequence model with every layout
     * op on the way: an embedding, heads split and merged by permutes, batched scores, a concat, a slice and a
     * Linear on [B, T, d]; compiled against the float64 reference.
     */
    @Test
    void curvatureProductsThroughLayoutOpsMatchTheReference() {
        Graph g = new Graph();
        Node ids = g.integers("ids", 11, 3, 5);
        Node emb = g.parameter("emb", 11, 8), wq = g.parameter("wq", 8, 8), wo = g.parameter("wo", 10, 4), bo = g.parameter("bo", 4);
        Node x = gather(emb, reshape(ids, 15));                                  // [15, 8], through a view of the ids
        Node q = permute(reshape(matmul(reshape(x, 3, 5, 8), wq), 3, 5, 2, 4), 0, 2, 1, 3); // [3, 2, 5, 4]
        Node heads = matmul(Ops.tanh(matmul(q, q, false, true)), q);             // [3, 2, 5, 4]
        Node merged = reshape(permute(heads, 0, 2, 1, 3), 3, 5, 8);
        Node features = Ops.concat(2, merged, Ops.slice(reshape(x, 3, 5, 8), 2, 0, 2)); // [3, 5, 10]
        Node logits = Ops.add(matmul(Ops.select(features, 1, -1), wo), bo);     // [3, 4]
        Node labels = g.labels("y", 3, 4);
        Node loss = org.panagrad.ops.SoftmaxCrossEntropy.of(logits, labels);
        Node[] params = {emb, wq, wo, bo};
        Node[] v = new Node[params.length];
        for (int i = 0; i < v.length; i++) v[i] = g.input("v" + i, params[i].shape().dims());
        List<Node> outs = new ArrayList<>(List.of(loss));
        outs.addAll(List.of(Autodiff.grad(loss, params)));
        outs.addAll(List.of(Autodiff.hvpReverseOverReverse(loss, params, v)));
        outs.addAll(List.of(Autodiff.hvpForwardOverReverse(loss, params, v)));
        outs.addAll(List.of(Autodiff.ggnVectorProduct(loss, params, v)));
        List<Node> leaves = new ArrayList<>(List.of(params));
        leaves.addAll(List.of(v));
        leaves.addAll(List.of(ids, labels));
        Map<Node, double[]> feed = Reference.feed(new Random(9), leaves, -1, 1);
        Map<Node, double[]> expected = ReferenceInterpreter.evaluate(outs, feed);
        for (Compiler.Options options : List.of(Compiler.Options.ALL, Compiler.Options.NONE)) {
            ParameterStore store = new ParameterStore();
            for (Node p : params) store.set(p, Reference.toFloat(feed.get(p)));
            Program p = Compiler.compile(store, outs, options);
            Map<Node, double[]> inputs = new HashMap<>(feed);
            for (Node param : params) inputs.remove(param);
            feed(p, inputs);
            p.run();
            for (Node o : outs) assertClose(o.describe(), expected.get(o), Reference.toDouble(p.get(o)), 2e-4, 1e-6);
        }
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
