package org.panagrad.optim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.ops.Add;
import org.panagrad.ops.Div;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.Scale;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.ops.Sum;
import org.panagrad.runtime.ParameterStore;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training step's own check: the loss scalar, and the norms the fused updates accumulate over the
 * gradients they read, tell a finite step from one that produced NaN or infinity, at the step it happens.
 */
class TrainingStepStatusTest {
    private static Optimizer optimizer(String name) {
        LearningRateSchedule lr = LearningRateSchedule.constant(0.1);
        return switch (name) {
            case "sgd" -> Sgd.plain(lr);
            case "momentum" -> Sgd.momentum(lr, 0.9, false);
            case "nesterov" -> Sgd.of(lr, 0.9, true, 0.01);
            default -> Adam.adam(lr);
        };
    }

    /** loss = sum(1 / w): finite for w = 1e-20 (1e20 per element) while its gradient -1/w^2 is -infinity. */
    @ParameterizedTest
    @ValueSource(strings = {"sgd", "momentum", "nesterov", "adam"})
    void aFiniteLossWithAnInfiniteGradientIsReported(String name) {
        Graph g = new Graph();
        Node w = g.parameter("w", 1, 4);
        Node loss = Sum.all(Div.of(g.fill(1.0, Shape.of(1, 4)), w));
        ParameterStore store = new ParameterStore();
        TrainingStep step = TrainingStep.compile(store, loss, List.of(w), optimizer(name), false);

        store.set(w, new float[] {1, 2, 4, 8});
        assertEquals(1.875f, step.run());
        assertEquals(TrainingStep.Status.FINITE, step.status());
        // d/dw 1/w = -1/w^2
        double expected = Math.sqrt(1 + 1 / 16.0 + 1 / 256.0 + 1 / 4096.0);
        assertEquals(expected, step.gradientNorm(), 1e-6);

        store.set(w, new float[] {1e-20f, 1, 1, 1});
        float loss2 = step.run();
        assertTrue(Float.isFinite(loss2), "loss " + loss2);
        assertEquals(TrainingStep.Status.NONFINITE_GRADIENT, step.status(), name);
        assertEquals(Double.POSITIVE_INFINITY, step.gradientNorm());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "momentum", "adam"})
    void aNonFiniteLossIsReportedFirst(String name) {
        Layer l = new Layer(optimizer(name));
        l.images[3] = Float.NaN;
        l.step.run();
        assertEquals(TrainingStep.Status.NONFINITE_LOSS, l.step.status());
    }

    /**
     * A weight gradient that only a GEMM-fused momentum update sees (never stored): x holds float's largest
     * value in a column whose weights are zero, so the forward pass stays finite, while x^T dY overflows. The
     * new momentum buffer, which the update's pass reads, turns infinite: reported at this step.
     */
    @Test
    void anOverflowInsideAFusedMomentumUpdatesGemmIsReported() {
        Layer l = new Layer(optimizer("momentum"));
        assertEquals(UpdateOp.Measured.VELOCITY_NORM, l.measured(l.w));
        l.step.run();
        assertEquals(TrainingStep.Status.FINITE, l.step.status());
        assertTrue(Double.isNaN(l.step.gradientNorm()), "not the gradient's norm: the GEMM summed it into the buffer");
        l.overflowTheWeightGradient();
        float loss = l.step.run();
        assertTrue(Float.isFinite(loss), "loss " + loss);
        assertEquals(TrainingStep.Status.NONFINITE_GRADIENT, l.step.status());
    }

    /**
     * Plain SGD folded into the GEMM writes the weight with no pass of ours over it: that overflow shows at the
     * next step's loss (documented on {@link TrainingStep#gradientNorm}); with the gradients kept, at once.
     */
    @Test
    void aPlainSgdStepFoldedIntoItsGemmIsCaughtByTheNextLoss() {
        Layer fused = new Layer(optimizer("sgd"));
        assertEquals(UpdateOp.Measured.NOTHING, fused.measured(fused.w));
        fused.overflowTheWeightGradient();
        fused.step.run();
        assertEquals(TrainingStep.Status.FINITE, fused.step.status());
        fused.step.run();
        assertEquals(TrainingStep.Status.NONFINITE_LOSS, fused.step.status());

        Layer kept = new Layer(optimizer("sgd"), true);
        assertEquals(UpdateOp.Measured.GRADIENT_NORM, kept.measured(kept.w));
        kept.overflowTheWeightGradient();
        kept.step.run();
        assertEquals(TrainingStep.Status.NONFINITE_GRADIENT, kept.step.status());
    }

    /** One linear layer with a softmax cross-entropy, scaled so that its gradient is large. */
    private static final class Layer {
        static final int BATCH = 8, IN = 5, CLASSES = 3;
        final Graph g = new Graph();
        final Node x = g.input("x", BATCH, IN), y = g.labels("y", BATCH, CLASSES);
        final Node w = g.parameter("w", IN, CLASSES), b = g.parameter("b", CLASSES);
        final ParameterStore store = new ParameterStore();
        final TrainingStep step;
        final float[] images = new float[BATCH * IN];

        Layer(Optimizer optimizer) {
            this(optimizer, false);
        }

        Layer(Optimizer optimizer, boolean keepGradients) {
            Node loss = Scale.of(SoftmaxCrossEntropy.of(Add.of(MatMul.of(x, w, false, false), b), y), 1000);
            step = TrainingStep.compile(store, loss, List.of(w, b), optimizer, keepGradients);
            for (int i = 0; i < images.length; i++) images[i] = (i % 7) / 7f;
            float[] weights = new float[IN * CLASSES];
            for (int i = 0; i < weights.length; i++) weights[i] = (i % 5 - 2) / 10f;
            store.set(w, weights);
            step.program().bind(x, images, 0);
            int[] labels = new int[BATCH];
            for (int i = 0; i < BATCH; i++) labels[i] = i % CLASSES;
            step.program().setLabels(y, labels, 0);
        }

        /** Column 0 of x at float's largest value, row 0 of w at zero: x w is finite, x^T dY is not. */
        void overflowTheWeightGradient() {
            for (int r = 0; r < BATCH; r++) images[r * IN] = Float.MAX_VALUE;
            float[] weights = store.get(w);
            Arrays.fill(weights, 0, CLASSES, 0f);
        }

        UpdateOp.Measured measured(Node parameter) {
            for (Node u : step.updates()) {
                if (u.input(0) == parameter) return ((UpdateOp) step.program().sourceOf(u).op()).measures();
            }
            throw new AssertionError("no update of " + parameter);
        }
    }
}
