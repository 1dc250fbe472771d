package org.panagrad.nn;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.ShapeException;
import org.panagrad.ops.Ops;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BatchNorm2d as PyTorch's: the running statistics move (momentum 0.1, unbiased variance, a batch counter) in the
 * training step and in no other program over the same graph; evaluation reads them; a channel of one value is
 * refused in training.
 */
class BatchNormTest {
    private static final int N = 6, C = 2, H = 3, W = 3;

    private final Graph g = new Graph();
    private final BatchNorm2d bn = BatchNorm2d.create(g, "bn", C);
    private final Linear fc = Linear.create(g, "fc", C * H * W, 4);
    private final ParameterStore store = new ParameterStore();
    private final Node x = g.input("x", N, C, H, W);
    private final Node labels = g.labels("y", N, 4);
    private final float[] xs = new float[N * C * H * W];

    BatchNormTest() {
        bn.initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(1));
        fc.initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(2));
        Random rnd = new Random(3);
        for (int i = 0; i < xs.length; i++) xs[i] = (float) (rnd.nextGaussian() * (1 + (i / (H * W)) % C) + 0.5);
    }

    private Node loss(Forward f) {
        Node h = new Flatten().forward(bn.forward(x, f), f);
        return Ops.crossEntropy(fc.forward(h, f), labels);
    }

    private void feed(Program p) {
        p.set(x, xs);
        if (p.reads(labels)) p.setLabels(labels, new int[] {0, 1, 2, 3, 0, 1});
    }

    /** Each channel's batch mean and unbiased variance, in double. */
    private double[][] batchStatistics() {
        double[][] s = new double[2][C];
        int n = N * H * W;
        for (int c = 0; c < C; c++) {
            double sum = 0, sq = 0;
            for (int i = 0; i < N; i++) for (int j = 0; j < H * W; j++) sum += xs[(i * C + c) * H * W + j];
            double mean = sum / n;
            for (int i = 0; i < N; i++) for (int j = 0; j < H * W; j++) sq += Math.pow(xs[(i * C + c) * H * W + j] - mean, 2);
            s[0][c] = mean;
            s[1][c] = sq / (n - 1);
        }
        return s;
    }

    @Test
    void theTrainingStepMovesTheRunningStatisticsAsPyTorchDoes() {
        Forward f = Forward.train();
        Node loss = loss(f);
        assertEquals(1, f.stateUpdates().size());
        TrainingStep step = TrainingStep.compile(store, loss, g.parameters(), Sgd.plain(LearningRateSchedule.constant(0.1)),
                false, f.stateUpdates());
        feed(step.program());
        step.run();
        double[][] s = batchStatistics();
        for (int c = 0; c < C; c++) {
            assertEquals(0.1 * s[0][c], store.get(bn.runningMean())[c], 1e-5, "running mean after one step");
            assertEquals(0.9 + 0.1 * s[1][c], store.get(bn.runningVar())[c], 1e-5, "running var after one step");
        }
        step.run();
        for (int c = 0; c < C; c++) {
            assertEquals(0.19 * s[0][c], store.get(bn.runningMean())[c], 1e-5, "running mean after two steps");
            assertEquals(0.81 + 0.19 * s[1][c], store.get(bn.runningVar())[c], 1e-5, "running var after two steps");
        }
        assertEquals(2f, store.get(bn.batchesTracked())[0]);
    }

    @Test
    void gradientHvpAndEvaluationProgramsLeaveTheRunningStatisticsAlone() {
        Forward f = Forward.train();
        Node loss = loss(f);
        Node[] params = g.parameters().toArray(new Node[0]);
        List<Node> vs = new ArrayList<>();
        for (Node p : params) vs.add(g.input("v." + p.name(), p.shape().dims()));
        Node[] hvp = Autodiff.hvpReverseOverReverse(loss, params, vs.toArray(new Node[0]));
        List<Node> outputs = new ArrayList<>(List.of(Autodiff.grad(loss, params)));
        outputs.addAll(List.of(hvp));
        outputs.add(loss(Forward.eval()));
        Program p = Compiler.compile(store, outputs);
        feed(p);
        for (Node v : vs) p.set(v, new float[v.shape().numel()]);
        float[] mean = store.get(bn.runningMean()).clone(), var = store.get(bn.runningVar()).clone();
        p.run();
        p.run();
        assertArrayEquals(mean, store.get(bn.runningMean()));
        assertArrayEquals(var, store.get(bn.runningVar()));
        assertEquals(0f, store.get(bn.batchesTracked())[0]);
    }

    @Test
    void evaluationNormalisesWithTheRunningStatistics() {
        store.set(bn.runningMean(), new float[] {0.5f, -1f});
        store.set(bn.runningVar(), new float[] {4f, 0.25f});
        store.set(bn.weight(), new float[] {2f, 3f});
        store.set(bn.bias(), new float[] {0.1f, -0.2f});
        Node y = bn.forward(x, Forward.eval());
        Program p = Compiler.compile(store, List.of(y));
        feed(p);
        p.run();
        float[] out = p.get(y);
        float[][] stats = {{0.5f, 4f, 2f, 0.1f}, {-1f, 0.25f, 3f, -0.2f}};
        for (int i = 0; i < xs.length; i++) {
            float[] s = stats[(i / (H * W)) % C];
            assertEquals((xs[i] - s[0]) / Math.sqrt(s[1] + 1e-5) * s[2] + s[3], out[i], 1e-5, "element " + i);
        }
    }

    @Test
    void trainingWithOneValuePerChannelFailsAsInPyTorch() {
        Node one = g.input("one", 1, C, 1, 1);
        ShapeException e = assertThrows(ShapeException.class, () -> bn.forward(one, Forward.train()));
        assertTrue(e.getMessage().contains("expected more than 1 value per channel when training"), e.getMessage());
        assertEquals(one.shape(), bn.forward(one, Forward.eval()).shape()); // evaluation is fine
        assertThrows(ShapeException.class, () -> bn.forward(g.input("wrong", 2, 3, 1, 1), Forward.eval()));
    }

    @Test
    void itsStateDictIsPyTorchs() {
        assertEquals(List.of("bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"),
                bn.state().stream().map(StateEntry::name).toList());
        assertEquals("I64", bn.state().get(4).dtype());
        assertArrayEquals(new int[0], bn.state().get(4).torchShape());
        assertEquals(List.of(true, true, false, false, false), bn.state().stream().map(StateEntry::trainable).toList());
        assertEquals("BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", bn.describe());
        assertArrayEquals(new float[] {1f, 1f}, store.get(bn.runningVar()));
    }
}
