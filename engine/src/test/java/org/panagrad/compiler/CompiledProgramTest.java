package org.panagrad.compiler;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.ops.Ops;
import org.panagrad.ops.fused.MaskedProduct;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SmallModel;
import org.panagrad.testing.SteadyState;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.testing.Reference.assertClose;

/** Compiled float32 programs agree with the float64 reference interpreter on random MLPs. */
class CompiledProgramTest {

    static Stream<Arguments> models() {
        List<Arguments> args = new ArrayList<>();
        for (Activation act : Activation.values()) {
            for (boolean mse : new boolean[] {false, true}) {
                for (Compiler.Options o : List.of(Compiler.Options.ALL, Compiler.Options.NONE)) {
                    args.add(Arguments.of(act, mse, o));
                }
            }
        }
        return args.stream();
    }

    @ParameterizedTest
    @MethodSource("models")
    void lossGradientsAndHvpsMatchTheReference(Activation act, boolean mse, Compiler.Options options) {
        SmallModel m = new SmallModel(act, mse, act.ordinal() * 10 + (mse ? 1 : 0), 17, 13, 33, 9, 7);
        Node[] grads = Autodiff.grad(m.loss, m.params);
        Node[] v = m.directionInputs("v");
        Node[] hvpRr = Autodiff.hvpReverseOverReverse(m.loss, m.params, v);
        Node[] hvpFr = Autodiff.hvpForwardOverReverse(m.loss, m.params, v);
        Node[] ggn = Autodiff.ggnVectorProduct(m.loss, m.params, v);
        Map<Node, double[]> feed = new HashMap<>(m.feed);
        m.scatter(Reference.random(new Random(4), m.size, -1, 1), v, feed);

        List<Node> outs = new ArrayList<>(List.of(m.loss, m.logits));
        for (Node[] group : List.of(grads, hvpRr, hvpFr, ggn)) outs.addAll(List.of(group));
        Map<Node, double[]> expected = ReferenceInterpreter.evaluate(outs, feed);

        ParameterStore store = new ParameterStore();
        for (Node p : m.params) store.set(p, Reference.toFloat(m.feed.get(p)));
        Program program = Compiler.compile(store, outs, options);
        feedProgram(program, feed, m, v);
        program.run();
        program.run(); // a second run must give the same: nothing may depend on what a previous run left
        for (Node o : outs) {
            assertClose(act + " " + o.describe(), expected.get(o), Reference.toDouble(program.get(o)), 2e-4, 1e-6);
        }
    }

    @Test
    void aSteadyStateRunAllocatesNothing() {
        SmallModel m = new SmallModel(Activation.RELU, false, 1, 64, 100, 50, 10);
        Node[] v = m.directionInputs("v");
        List<Node> outs = new ArrayList<>(List.of(m.loss));
        outs.addAll(List.of(Autodiff.grad(m.loss, m.params)));
        outs.addAll(List.of(Autodiff.hvpForwardOverReverse(m.loss, m.params, v)));
        ParameterStore store = new ParameterStore();
        for (Node p : m.params) store.set(p, Reference.toFloat(m.feed.get(p)));
        Program program = Compiler.compile(store, outs);
        Map<Node, double[]> feed = new HashMap<>(m.feed);
        m.scatter(Reference.random(new Random(4), m.size, -1, 1), v, feed);
        feedProgram(program, feed, m, v);
        for (int i = 0; i < 3000; i++) program.run();
        long allocated = SteadyState.allocatedBytes(program::run, 100);
        assertEquals(0, allocated, "100 runs allocated " + allocated + " bytes");
    }

    @Test
    void theArenaOfAnMlpTrainingProgramIsSmallerThanTheNaiveSum() {
        SmallModel m = new SmallModel(Activation.RELU, false, 2, 128, 784, 500, 10);
        List<Node> outs = new ArrayList<>(List.of(m.loss));
        outs.addAll(List.of(Autodiff.grad(m.loss, m.params)));
        Program p = Compiler.compile(new ParameterStore(), outs);
        assertTrue(p.arenaSize() < p.naiveSize(), p.arenaSize() + " vs " + p.naiveSize());
    }

    @Test
    void deadCodeIsNotCompiledAndCommonSubexpressionsMerge() {
        SmallModel m = new SmallModel(Activation.TANH, false, 3, 8, 5, 6, 4);
        Node unused = Ops.sum(Ops.exp(m.logits));
        Node a = Ops.softmax(m.logits), b = Ops.softmax(m.logits);
        Node both = Ops.sum(Ops.add(a, b));
        Program withPasses = Compiler.compile(new ParameterStore(), List.of(both));
        Program without = Compiler.compile(new ParameterStore(), List.of(both), Compiler.Options.NONE);
        assertTrue(withPasses.instructionNodes().stream().noneMatch(n -> n == unused || n.input(0) == unused));
        long softmaxes = withPasses.instructionNodes().stream().filter(n -> n.op().name().equals("softmax")).count();
        assertEquals(1, softmaxes);
        assertEquals(2, without.instructionNodes().stream().filter(n -> n.op().name().equals("softmax")).count());
    }

    /**
     * Bias and ReLU go into the forward GEMM's epilogue; ReLU's mask goes into the epilogue of the GEMM that
     * produces the hidden layer's incoming gradient, whose result is then written over the activation.
     */
    @Test
    void fusionPutsBiasAndReluIntoTheGemmAndTheMaskIntoTheBackwardProduct() {
        SmallModel m = new SmallModel(Activation.RELU, false, 3, 8, 5, 6, 4);
        List<Node> outs = new ArrayList<>(List.of(m.loss));
        outs.addAll(List.of(Autodiff.grad(m.loss, m.params)));
        List<String> ops = Compiler.compile(new ParameterStore(), outs).instructionNodes().stream()
                .map(n -> n.op().name()).toList();
        assertTrue(ops.contains("matmul+bias+relu"), ops.toString());
        assertTrue(ops.contains("matmul+bias"), ops.toString());
        assertTrue(ops.contains("matmul_nt+relu_backward"), ops.toString());
        assertTrue(!ops.contains("step") && !ops.contains("relu") && !ops.contains("relu_backward"), ops.toString());
        MemoryPlan.Allocation dh = Compiler.planOnly(outs, Compiler.Options.ALL).allocations().stream()
                .filter(a -> a.node().op().name().equals("matmul_nt+relu_backward")).findFirst().orElseThrow();
        assertEquals("matmul+bias+relu", dh.inPlaceOf().op().name(), "dH should be written over H");
    }

    /** The masked product's reference definition and its instruction agree, for every transpose. */
    @Test
    void aMaskedProductComputesItsReferenceDefinition() {
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            org.panagrad.graph.Graph g = new org.panagrad.graph.Graph();
            Node a = ta ? g.input("a", 9, 13) : g.input("a", 13, 9), b = tb ? g.input("b", 17, 9) : g.input("b", 9, 17);
            Node masked = org.panagrad.ops.fused.MaskedProduct.of(org.panagrad.ops.MatMul.of(a, b, ta, tb), g.input("h", 13, 17));
            Map<Node, double[]> feed = Reference.feed(new Random(t), List.of(a, b, masked.input(2)), -1, 1);
            Program p = Compiler.compile(new ParameterStore(), List.of(masked), Compiler.Options.NONE);
            for (Node in : feed.keySet()) p.set(in, Reference.toFloat(feed.get(in)));
            p.run();
            double[] want = ReferenceInterpreter.evaluate(masked, feed);
            assertTrue(java.util.Arrays.stream(want).filter(v -> v == 0).count() > 50, "the mask should zero about half");
            assertClose(masked.op().name(), want, Reference.toDouble(p.get(masked)), 1e-5, 1e-6);
        }
    }

    /**
     * A program split on a varying input: one run of the rest, then reruns of what depends on it, equal full
     * runs bit for bit. Here exp(0.5 a), an output of the rest, takes over its argument's memory in place,
     * and before it is written that memory was free for sum_rows(b), a varying value: the block must be
     * claimed from the start (a property test over random graphs found this).
     */
    @Test
    void rerunningTheVaryingPartEqualsFullRuns() {
        org.panagrad.graph.Graph g = new org.panagrad.graph.Graph();
        Node a = g.input("a", 6, 2), b = g.input("b", 6, 2);
        Node varyingFirst = Ops.sub(a, Ops.sum(b, 0, true)); // scheduled first: its sum_rows(b) dies before exp is written
        List<Node> outputs = List.of(varyingFirst, Ops.exp(Ops.scale(a, 0.5)));
        Program full = Compiler.compile(new ParameterStore(), outputs);
        Program split = Compiler.compile(new ParameterStore(), outputs, Compiler.Options.ALL, java.util.Set.of(b));
        Random rnd = new Random(3);
        float[] av = Reference.toFloat(Reference.random(rnd, 12, -1, 1));
        full.set(a, av);
        split.set(a, av);
        split.runInvariant();
        int varying = 0;
        for (int i = 0; i < split.instructionNodes().size(); i++) if (split.isVarying(i)) varying++;
        assertTrue(varying > 0 && varying < split.instructionNodes().size(), varying + " varying instructions");
        for (int k = 0; k < 3; k++) {
            float[] bv = Reference.toFloat(Reference.random(rnd, 12, -1, 1));
            full.set(b, bv);
            split.set(b, bv);
            full.run();
            split.runVarying();
            for (Node o : outputs) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(full.get(o), split.get(o), o.describe() + ", b number " + k);
            }
        }
    }

    static void feedProgram(Program program, Map<Node, double[]> feed, SmallModel m, Node[] v) {
        program.set(m.x, Reference.toFloat(feed.get(m.x)));
        if (m.labels != null) {
            double[] l = feed.get(m.labels);
            int[] li = new int[l.length];
            for (int i = 0; i < l.length; i++) li[i] = (int) l[i];
            program.setLabels(m.labels, li);
        } else {
            program.set(m.target, Reference.toFloat(feed.get(m.target)));
        }
        for (Node vi : v) {
            program.set(vi, Reference.toFloat(feed.get(vi)));
        }
    }
}
