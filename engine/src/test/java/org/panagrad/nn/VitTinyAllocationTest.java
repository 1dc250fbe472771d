package org.panagrad.nn;

import org.junit.jupiter.api.Test;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.optim.Adam;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.testing.SteadyState;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * vit-tiny's AdamW training step and its Hessian-vector product (reverse over reverse, through the fused attention,
 * layer norms and GELU) allocate nothing once compiled (issue 20), at a small batch so the test stays short.
 */
class VitTinyAllocationTest {
    private static final int BATCH = 4;

    @Test
    void theTrainingStepAndTheHvpAllocateNothing() {
        Graph g = new Graph();
        VisionTransformer vit = VisionTransformer.vitTiny(g);
        ParameterStore store = new ParameterStore();
        SplittableRandom rnd = new SplittableRandom(3);
        vit.initialize(store, Init.TORCH_DEFAULT, rnd);
        Node x = g.input("x", BATCH, 784), y = g.labels("y", BATCH, 10);
        Node loss = Ops.crossEntropy(vit.forward(x, Forward.train()), y);
        List<Node> params = vit.parameters();
        TrainingStep step = TrainingStep.compile(store, loss, params, Adam.adamW(LearningRateSchedule.constant(1e-4), 0.05), false);
        CurvatureProduct hvp = CurvatureProduct.compile(store, loss, params, CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE, false);
        float[] images = new float[BATCH * 784];
        int[] labels = new int[BATCH];
        for (int i = 0; i < images.length; i++) images[i] = (float) rnd.nextDouble();
        for (int i = 0; i < BATCH; i++) labels[i] = rnd.nextInt(10);
        for (Program p : List.of(step.program(), hvp.program())) {
            p.set(x, images);
            p.setLabels(y, labels);
        }
        float[] v = new float[hvp.dimension()], out = new float[v.length];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextBoolean() ? 1f : -1f;

        long stepBytes = SteadyState.allocatedBytes(step::run, 20);
        assertEquals(0, stepBytes, "20 vit-tiny training steps allocated " + stepBytes + " bytes");
        long hvpBytes = SteadyState.allocatedBytes(() -> hvp.apply(v, out), 20);
        assertEquals(0, hvpBytes, "20 vit-tiny HVPs allocated " + hvpBytes + " bytes");
    }
}
