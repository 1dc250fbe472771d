package org.panagrad.runtime;

import org.junit.jupiter.api.Test;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.Log;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.ops.Sum;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.TrainingStep;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Anomaly detection names the first instruction that turns finite values into NaN or infinity. */
class AnomalyDetectionTest {
    @Test
    void theFirstInstructionProducingNaNFromFiniteInputsIsNamed() {
        Graph g = new Graph();
        Node x = g.input("x", 1, 3);
        Node w = g.parameter("w", 1, 3);
        Node logW = Log.of(w); // log of a negative weight: NaN from finite values
        Node loss = Sum.all(org.panagrad.ops.Mul.of(x, logW));
        ParameterStore store = new ParameterStore();
        Program p = Compiler.compile(store, List.of(loss));
        store.set(w, new float[] {1, -2, 3});
        p.set(x, new float[] {1, 1, 1});
        p.run(); // without detection: a NaN loss, nothing said
        assertTrue(Float.isNaN(p.scalar(loss)));

        p.detectAnomaly(true);
        NonFiniteException e = assertThrows(NonFiniteException.class, p::run);
        assertEquals("log", e.node().op().name(), e.getMessage());
        assertTrue(e.getMessage().contains("log [1x3] (near parameters w) wrote NaN at element 1"), e.getMessage());
        assertTrue(e.getMessage().contains("while its inputs were finite (inputs: w [1x3])"), e.getMessage());

        p.detectAnomaly(false);
        p.run();
    }

    @Test
    void aNonFiniteInputIsReportedWhereItIsFirstRead() {
        Graph g = new Graph();
        Mlp mlp = Mlp.create(g, Activation.RELU, 4, 3, 2);
        Node x = g.input("x", 2, 4), y = g.labels("y", 2, 2);
        Node loss = SoftmaxCrossEntropy.of(mlp.forward(x), y);
        ParameterStore store = new ParameterStore();
        mlp.initialize(store, Init.TORCH_DEFAULT, 1);
        TrainingStep step = TrainingStep.compile(store, loss, mlp.parameters(),
                Sgd.momentum(LearningRateSchedule.constant(0.1), 0.9, false), false);
        step.program().set(x, new float[] {0, 1, 2, 3, 4, 5, Float.POSITIVE_INFINITY, 7});
        step.program().setLabels(y, new int[] {0, 1});
        step.program().detectAnomaly(true);
        NonFiniteException e = assertThrows(NonFiniteException.class, step::run);
        assertEquals(0, e.instruction(), e.getMessage());
        assertTrue(e.getMessage().contains("(near parameters 0.bias, 0.weight) reads Infinity at element 6 of x [2x4], an"
                + " input of the program"), e.getMessage());
    }

    /** An update that overflows the weights it writes is named, with the parameter. */
    @Test
    void anUpdateWritingInfinityIntoItsParameterIsNamed() {
        Graph g = new Graph();
        Node x = g.input("x", 1, 4);
        Node w = g.parameter("w", 1, 4);
        Node loss = Sum.all(org.panagrad.ops.Mul.of(x, w)); // gradient x = 2: a step of 3e38 * 2 overflows
        ParameterStore store = new ParameterStore();
        TrainingStep step = TrainingStep.compile(store, loss, List.of(w), Sgd.plain(LearningRateSchedule.constant(3e38)), false);
        step.program().set(x, new float[] {2, 2, 2, 2});
        step.program().detectAnomaly(true);
        NonFiniteException e = assertThrows(NonFiniteException.class, step::run);
        assertTrue(e.node().op().hasSideEffects(), e.getMessage());
        assertTrue(e.getMessage().matches("instruction \\d+ of \\d+, sgd_update \\[\\] \\(near parameters w\\) wrote"
                + " -Infinity at element 0 of w \\[1x4\\] while its inputs were finite .*"), e.getMessage());
    }
}
