package org.panagrad.nn;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.ops.StepCounter;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Dropout's mask is a function of (seed, step, element): programs compiled apart (a forward pass, a gradient, an
 * HVP) draw the same mask at one step and another at the next; evaluation passes drop nothing.
 */
class DropoutTest {
    private final Graph g = new Graph();
    private final Dropout drop = Dropout.create(g, "drop", 0.4);
    private final Node x = g.input("x", 5, 13);
    private final Node w = g.parameter("w", 5, 13);
    private final Node v = g.input("v", 5, 13);
    private final ParameterStore store = new ParameterStore();
    private final float[] xs = new float[65], ws = new float[65], vs = new float[65];

    DropoutTest() {
        Random rnd = new Random(5);
        for (int i = 0; i < 65; i++) {
            xs[i] = 1 + rnd.nextFloat();
            ws[i] = rnd.nextFloat() - 0.5f;
            vs[i] = rnd.nextFloat() - 0.5f;
        }
        store.set(w, ws);
    }

    private float[] run(Node out, Program p) {
        if (p.reads(x)) p.set(x, xs);
        if (p.reads(v)) p.set(v, vs);
        p.run();
        return p.get(out).clone();
    }

    @Test
    void aGradientAndAnHvpAtOneStepSeeTheForwardPassMask() {
        Node d = drop.forward(x, Forward.train());
        // L = sum((d * w)^2) / 2: dL/dw = d^2 w, and the HVP along v is d^2 v.
        Node loss = Ops.scale(Ops.sum(Ops.mul(Ops.mul(d, w), Ops.mul(d, w))), 0.5);
        Node grad = Autodiff.grad(loss, w)[0];
        Node hvp = Autodiff.hvpReverseOverReverse(loss, new Node[] {w}, new Node[] {v})[0];
        Program forward = Compiler.compile(store, List.of(d)), gradient = Compiler.compile(store, List.of(grad)),
                curvature = Compiler.compile(store, List.of(hvp));
        store.get(StepCounter.of(g))[0] = 3;
        float[] mask = run(d, forward), gr = run(grad, gradient), hv = run(hvp, curvature);
        int dropped = 0;
        for (int i = 0; i < 65; i++) {
            if (mask[i] == 0) dropped++;
            else assertEquals(xs[i] / 0.6f, mask[i], 1e-5f);
            assertEquals(mask[i] * mask[i] * ws[i], gr[i], 1e-5f, "gradient element " + i);
            assertEquals(mask[i] * mask[i] * vs[i], hv[i], 1e-5f, "HVP element " + i);
        }
        assertEquals(26, dropped, 13, "about 40% dropped");
        assertArrayEquals(mask, run(d, forward), "a rerun at the same step");
        store.get(StepCounter.of(g))[0] = 4;
        assertFalse(java.util.Arrays.equals(mask, run(d, forward)), "the next step draws another mask");
    }

    @Test
    void theTrainingStepKeysTheMaskOnItsOptimizersStepCount() {
        Node loss = Ops.sum(Ops.mul(drop.forward(x, Forward.train()), w));
        Sgd sgd = Sgd.plain(LearningRateSchedule.constant(0.1));
        TrainingStep step = TrainingStep.compile(store, loss, List.of(w), sgd, false);
        step.program().set(x, xs);
        step.run();
        step.run();
        assertEquals(sgd.stepCount(), (long) store.get(StepCounter.of(g))[0]);
        assertEquals(2, sgd.stepCount());
    }

    @Test
    void evaluationPassesAndPZeroDropNothingAndPOutsideTheRangeIsRefused() {
        assertSame(x, drop.forward(x, Forward.eval()));
        assertSame(x, Dropout.create(g, "none", 0).forward(x, Forward.train()));
        assertThrows(IllegalArgumentException.class, () -> Dropout.create(g, "one", 1));
        assertThrows(IllegalArgumentException.class, () -> Ops.dropout(x, StepCounter.of(g), -0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> Ops.dropout(x, StepCounter.of(g), Double.NaN, 1));
        assertEquals("Dropout(p=0.4, inplace=False)", drop.describe());
    }
}
