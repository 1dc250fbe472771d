package org.panagrad.curvature;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.nn.Linear;
import org.panagrad.nn.Module;
import org.panagrad.nn.StateEntry;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-sample gradients from one compiled program against the gradients of batch-of-one float64 graphs. */
class PerSampleGradientsTest {

    @ParameterizedTest
    @CsvSource({"TANH, false", "RELU, false", "SIGMOID, true"})
    void equalTheGradientsOfBatchOfOneGraphs(Activation act, boolean mse) {
        SmallMlp m = new SmallMlp(act, mse, 3, 7, 5, 6, 4, 3);
        PerSampleGradients psg = PerSampleGradients.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, true);
        m.feed(psg.program());
        psg.run();
        float[] g = new float[m.size], norms = new float[m.batch];
        psg.norms(norms);
        double[] mean = new double[m.size];
        for (int n = 0; n < m.batch; n++) {
            double[] expected = m.sampleGradient(n);
            psg.sampleGradient(n, g);
            Reference.assertClose("sample " + n, expected, Reference.toDouble(g), 1e-4, 1e-5);
            assertEquals(Math.sqrt(Reference.dot(expected, expected)), norms[n], 1e-4 * (1 + norms[n]), "norm of sample " + n);
            for (int i = 0; i < m.size; i++) mean[i] += expected[i] / m.batch;
        }
        // Their mean is the batch gradient.
        Reference.assertClose("mean", m.batchGradient(), mean, 1e-9, 1e-12);
    }

    @Test
    void normsWithoutMaterializingEqualTheMaterializedOnes() {
        SmallMlp m = new SmallMlp(Activation.TANH, false, 5, 6, 4, 5, 3);
        PerSampleGradients light = PerSampleGradients.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, false);
        m.feed(light.program());
        light.run();
        float[] norms = new float[m.batch], g = new float[m.size];
        light.norms(norms);
        for (int n = 0; n < m.batch; n++) {
            double[] expected = m.sampleGradient(n);
            assertEquals(Math.sqrt(Reference.dot(expected, expected)), norms[n], 1e-4 * (1 + norms[n]));
        }
        assertThrows(IllegalStateException.class, () -> light.sampleGradient(0, g));
    }

    /** Linear on [N, T, in]: each sample's weight gradient sums over its T rows (one batched product). */
    @Test
    void linearOnASequenceSumsOverItsPositions() {
        int batch = 5, t = 3, in = 4, hidden = 3, classes = 3;
        Random rnd = new Random(11);
        Graph g = new Graph();
        Forward pass = Forward.eval();
        Linear first = Linear.create(g, "0", in, hidden), last = Linear.create(g, "2", t * hidden, classes);
        Node x = g.input("x", batch, t, in);
        Node logits = last.forward(Ops.reshape(Ops.tanh(first.forward(x, pass)), batch, t * hidden), pass);
        Node labels = g.labels("labels", batch, classes);
        Node loss = Ops.crossEntropy(logits, labels);
        List<Node> params = List.of(first.weight(), first.bias(), last.weight(), last.bias());
        ParameterStore store = new ParameterStore();
        Map<String, double[]> values = new HashMap<>();
        for (Node p : params) {
            double[] v = floats(rnd, p.shape().numel());
            values.put(p.name(), v);
            store.set(p, Reference.toFloat(v));
        }
        double[] xs = floats(rnd, batch * t * in);
        int[] ys = new int[batch];
        for (int n = 0; n < batch; n++) ys[n] = rnd.nextInt(classes);

        PerSampleGradients psg = PerSampleGradients.compile(store, loss, pass.layerCalls(), params, true);
        psg.program().set(x, Reference.toFloat(xs));
        psg.program().setLabels(labels, ys);
        psg.run();
        int size = 0;
        for (Node p : params) size += p.shape().numel();
        float[] got = new float[size], norms = new float[batch];
        psg.norms(norms);
        for (int n = 0; n < batch; n++) {
            Graph g1 = new Graph();
            Linear f1 = Linear.create(g1, "0", in, hidden), l1 = Linear.create(g1, "2", t * hidden, classes);
            Node x1 = g1.input("x", 1, t, in), y1 = g1.labels("labels", 1, classes);
            Node loss1 = Ops.crossEntropy(l1.apply(Ops.reshape(Ops.tanh(f1.apply(x1)), 1, t * hidden)), y1);
            Node[] ps1 = {f1.weight(), f1.bias(), l1.weight(), l1.bias()};
            Map<Node, double[]> feed = new HashMap<>();
            for (Node p : ps1) feed.put(p, values.get(p.name()));
            feed.put(x1, Arrays.copyOfRange(xs, n * t * in, (n + 1) * t * in));
            feed.put(y1, new double[] {ys[n]});
            Node[] grads = Autodiff.grad(loss1, ps1);
            Map<Node, double[]> out = ReferenceInterpreter.evaluate(List.of(grads), feed);
            List<Double> expected = new ArrayList<>();
            for (Node gr : grads) for (double v : out.get(gr)) expected.add(v);
            double[] e = expected.stream().mapToDouble(Double::doubleValue).toArray();
            psg.sampleGradient(n, got);
            Reference.assertClose("sample " + n, e, Reference.toDouble(got), 1e-4, 1e-5);
            assertEquals(Math.sqrt(Reference.dot(e, e)), norms[n], 1e-4 * (1 + norms[n]));
        }
    }

    /** A tiny model in a graph of any batch size, for comparing per-sample gradients with batch-of-one graphs. */
    private record Tiny(Node x, Node labels, Node loss, List<Node> params, Forward pass) {}

    /**
     * Parameters outside Linear layers (a module scaling its input, a free bias added to the logits) and a weight
     * tied between two uses take the generic path, and equal the gradients of batch-of-one float64 graphs.
     */
    @Test
    void otherLayersFreeParametersAndTiedWeightsTakeTheGenericPath() {
        java.util.function.IntFunction<Tiny> build = batch -> {
            Graph g = new Graph();
            Forward pass = Forward.eval();
            Node x = g.input("x", batch, 3);
            Node scale = g.parameter("norm.weight", 3), free = g.parameter("free", 3);
            Module norm = new Module() {
                @Override public Node forward(Node in, Forward f) { return f.record("norm", this, in, Ops.mul(in, scale)); }
                @Override public List<StateEntry> state() { return List.of(StateEntry.same("norm.weight", scale, true)); }
                @Override public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {}
                @Override public String describe() { return "Scale(3)"; }
            };
            Linear tied = Linear.create(g, "fc", 3, 3);
            Node h = tied.forward(Ops.tanh(tied.forward(norm.forward(x, pass), pass)), pass);
            Node labels = g.labels("y", batch, 3);
            Node loss = Ops.crossEntropy(Ops.add(h, free), labels);
            return new Tiny(x, labels, loss, List.of(scale, tied.weight(), tied.bias(), free), pass);
        };
        int batch = 4;
        Random rnd = new Random(5);
        Tiny m = build.apply(batch);
        Map<String, double[]> values = new HashMap<>();
        ParameterStore store = new ParameterStore();
        int size = 0;
        for (Node p : m.params()) {
            double[] v = floats(rnd, p.shape().numel());
            values.put(p.name(), v);
            store.set(p, Reference.toFloat(v));
            size += v.length;
        }
        double[] xs = floats(rnd, batch * 3);
        int[] ys = {0, 2, 1, 2};
        PerSampleGradients psg = PerSampleGradients.compile(store, m.loss(), m.pass().layerCalls(), m.params(), true);
        psg.program().set(m.x(), Reference.toFloat(xs));
        psg.program().setLabels(m.labels(), ys);
        psg.run();
        float[] got = new float[size], norms = new float[batch];
        psg.norms(norms);
        for (int n = 0; n < batch; n++) {
            Tiny one = build.apply(1);
            Map<Node, double[]> feed = new HashMap<>();
            for (Node p : one.params()) feed.put(p, values.get(p.name()));
            feed.put(one.x(), Arrays.copyOfRange(xs, 3 * n, 3 * n + 3));
            feed.put(one.labels(), new double[] {ys[n]});
            double[] e = SmallMlp.evaluateFlat(Autodiff.grad(one.loss(), one.params().toArray(new Node[0])), feed, size);
            psg.sampleGradient(n, got);
            Reference.assertClose("sample " + n, e, Reference.toDouble(got), 1e-4, 1e-5);
            assertEquals(Math.sqrt(Reference.dot(e, e)), norms[n], 1e-4 * (1 + norms[n]));
        }
    }

    /** A parameter read by an op without a per-sample rule (a convolution outside any layer) fails, naming the op. */
    @Test
    void aUseWithoutAPerSampleRuleIsNamed() {
        Graph g = new Graph();
        Forward pass = Forward.eval();
        Node x = g.input("x", 2, 1, 5, 5), w = g.parameter("conv.weight", 2, 1, 3, 3);
        Linear lin = Linear.create(g, "fc", 18, 3);
        Node loss = Ops.crossEntropy(lin.forward(Ops.reshape(Ops.conv2d(x, w, null), 2, 18), pass), g.labels("y", 2, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PerSampleGradients.compile(
                new ParameterStore(), loss, pass.layerCalls(), List.of(w, lin.weight(), lin.bias()), false));
        assertTrue(e.getMessage().startsWith("per-sample gradients does not support the parameters behind conv.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("read by conv2d") && e.getMessage().contains("has no per-sample rule"), e.getMessage());
    }

    @Test
    void runsWithoutAllocating() {
        SmallMlp m = new SmallMlp(Activation.RELU, false, 9, 32, 20, 16, 10);
        PerSampleGradients psg = PerSampleGradients.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, true);
        m.feed(psg.program());
        float[] norms = new float[m.batch], g = new float[m.size];
        assertEquals(0, org.panagrad.testing.SteadyState.allocatedBytes(() -> {
            psg.run();
            psg.norms(norms);
            psg.sampleGradient(3, g);
        }, 50));
    }

    private static double[] floats(Random rnd, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) (2 * rnd.nextDouble() - 1);
        return v;
    }
}
