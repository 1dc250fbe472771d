package org.panagrad.optim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.ops.Ops;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SmallModel;
import org.panagrad.testing.SteadyState;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.testing.Reference.assertClose;

/** Compiled training steps (forward, backward, fused update) against the float64 reference, step after step. */
class TrainingStepTest {

    private static Optimizer optimizer(String name) {
        LearningRateSchedule lr = LearningRateSchedule.cosine(0.05, 0.01, 10);
        switch (name) {
            case "sgd": return Sgd.plain(lr);
            case "sgd-wd": return Sgd.of(lr, 0, false, 0.01);
            case "momentum": return Sgd.momentum(lr, 0.9, false);
            case "nesterov": return Sgd.of(lr, 0.9, true, 0.001);
            case "adam": return Adam.adam(LearningRateSchedule.constant(0.01), 0.9, 0.999, 1e-8, 0.01);
            default: return Adam.adamW(LearningRateSchedule.constant(0.01).withWarmup(2), 0.05);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "sgd-wd", "momentum", "nesterov", "adam", "adamw"})
    void stepsMatchTheReference(String name) {
        SmallModel m = new SmallModel(Activation.TANH, false, 5, 9, 6, 8, 4);
        Optimizer opt = optimizer(name);
        ParameterStore store = new ParameterStore();
        for (Node p : m.params) store.set(p, Reference.toFloat(m.feed.get(p)));
        TrainingStep step = TrainingStep.compile(store, m.loss, List.of(m.params), opt, false);
        org.panagrad.compiler.CompiledProgramTestAccess.feed(step.program(), m);

        Map<Node, double[]> refLeaves = new HashMap<>(m.feed);
        for (Node s : opt.stateVariables()) refLeaves.put(s, new double[s.shape().numel()]);
        List<Node> updates = step.updates();

        for (int t = 0; t < 4; t++) {
            float loss = step.run();
            // The reference takes the same hyperparameters the step just used.
            for (Node s : opt.stateVariables()) {
                if (s.name().endsWith(".hyper")) refLeaves.put(s, Reference.toDouble(store.get(s)));
            }
            List<Node> outs = new ArrayList<>(List.of(m.loss));
            outs.addAll(updates);
            Map<Node, double[]> ref = ReferenceInterpreter.evaluate(outs, refLeaves);
            double refLoss = ref.get(m.loss)[0];
            assertClose(name + " loss at step " + t, new double[] {refLoss}, new double[] {loss}, 1e-5, 1e-6);
            // Each update's output is its gradient's norm, unless a GEMM took the update in (see UpdateOp.Measured).
            double squares = 0;
            boolean exact = true;
            for (Node u : updates) {
                UpdateOp.Measured measured = ((UpdateOp) step.program().sourceOf(u).op()).measures();
                double[] expected = switch (measured) {
                    case GRADIENT_NORM -> ref.get(u);
                    case VELOCITY_NORM -> new double[] {norm(refLeaves.get(u.input(3)))};
                    case NOTHING -> new double[] {0};
                };
                assertClose(name + " " + measured + " of " + u.input(0).name() + " at step " + t, expected,
                        new double[] {step.program().scalar(u)}, 1e-5, 1e-6);
                squares += ref.get(u)[0] * ref.get(u)[0];
                exact &= measured == UpdateOp.Measured.GRADIENT_NORM;
            }
            assertEquals(TrainingStep.Status.FINITE, step.status());
            if (exact) {
                assertClose(name + " gradient norm at step " + t, new double[] {Math.sqrt(squares)},
                        new double[] {step.gradientNorm()}, 1e-5, 1e-6);
            } else {
                assertTrue(Double.isNaN(step.gradientNorm()), "a fused update's norm is not the gradient's");
            }
            for (Node p : m.params) {
                assertClose(name + " " + p.name() + " after step " + t, refLeaves.get(p),
                        Reference.toDouble(store.get(p)), 1e-5, 1e-6);
            }
        }
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) s += x * x;
        return Math.sqrt(s);
    }

    /**
     * An update overwrites its parameter, so it must run after every other reader of it, whichever operand
     * of its fused weight-gradient GEMM the parameter's readers share. Both weight layouts: with [out, in] the
     * gradient is dY^T X, with [in, out] it is X^T dY, whose first operand the backward no longer reads.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sgd", "momentum", "adam"})
    void everyReaderOfAParameterRunsBeforeItsUpdate(String name) {
        for (boolean torchLayout : new boolean[] {false, true}) {
            Graph g = new Graph();
            Node x = g.input("x", 4, 6), labels = g.labels("y", 4, 3);
            Node w0 = torchLayout ? g.parameter("w0", 5, 6) : g.parameter("w0", 6, 5);
            Node w1 = torchLayout ? g.parameter("w1", 3, 5) : g.parameter("w1", 5, 3);
            Node h = Ops.relu(Ops.matmul(x, w0, false, torchLayout));
            Node loss = SoftmaxCrossEntropy.of(Ops.matmul(h, w1, false, torchLayout), labels);
            TrainingStep step = TrainingStep.compile(new ParameterStore(), loss, List.of(w0, w1), optimizer(name), false);
            List<Node> order = step.program().instructionNodes();
            for (int i = 0; i < order.size(); i++) {
                Node update = order.get(i);
                for (int k : update.op().overwrittenInputs()) {
                    Node param = update.input(k);
                    for (Node later : order.subList(i + 1, order.size())) {
                        for (int j = 0; j < later.arity(); j++) {
                            assertTrue(later.input(j) != param, (torchLayout ? "[out, in]" : "[in, out]") + ": "
                                    + later.describe() + " reads " + param.name() + " after " + update.describe()
                                    + " overwrote it; order " + order);
                        }
                    }
                }
            }
        }
    }

    @Test
    void trainingReducesTheLossAndTheStepAllocatesNothing() {
        SmallModel m = new SmallModel(Activation.RELU, false, 6, 32, 20, 16, 5);
        ParameterStore store = new ParameterStore();
        for (Node p : m.params) store.set(p, Reference.toFloat(m.feed.get(p)));
        // AdamW under warm-up and cosine decay: the schedule writes the rate into the step's input, never recompiling.
        Adam adamW = Adam.adamW(LearningRateSchedule.cosine(0.01, 0, 20_000).withWarmup(100), 0.01);
        TrainingStep step = TrainingStep.compile(store, m.loss, List.of(m.params), adamW, false);
        org.panagrad.compiler.CompiledProgramTestAccess.feed(step.program(), m);
        float first = step.run();
        for (int i = 0; i < 5000; i++) step.run(); // until C2 has compiled every kernel: before, vectors are objects
        float last = step.run();
        assertTrue(last < 0.2f * first, "loss went from " + first + " to " + last);
        long allocated = SteadyState.allocatedBytes(step::run, 100);
        assertEquals(0, allocated, "100 steps allocated " + allocated + " bytes");
    }
}
