package org.panagrad.nn;

import org.junit.jupiter.api.Test;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.AttentionMask;
import org.panagrad.ops.Ops;
import org.panagrad.optim.Adam;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 2-layer causal decoder (token and learned positional embeddings, pre-norm blocks with fused causal attention)
 * learns to reverse sequences of 12 tokens: fed x1..x12, SEP, y1..y11 it predicts y1..y12 = x12..x1 at the last 12
 * positions (the first 12 are ignored by the loss), to at least 99% token accuracy on fresh sequences. This proves
 * masks, embeddings and positions end to end: every answer lies in the past, at a position that depends on where
 * the query is.
 */
class ReverseSequenceTest {
    static final int N = 12, T = 2 * N, DIGITS = 8, SEP = DIGITS, VOCAB = DIGITS + 1, WIDTH = 48, BATCH = 64;

    record Decoder(Embedding tokens, PositionalEmbedding positions, List<EncoderBlock> blocks, LayerNorm ln, Linear head) {
        Node logits(Node ids, Forward f) {
            Node h = positions.forward(tokens.forward(ids, f), f);
            for (EncoderBlock b : blocks) h = b.forward(h, f);
            return head.forward(ln.forward(h, f), f);
        }

        List<Module> modules() {
            List<Module> m = new ArrayList<>(List.of(tokens, positions, ln, head));
            m.addAll(blocks);
            return m;
        }
    }

    static Decoder decoder(Graph g, int layers, int width, int heads) {
        List<EncoderBlock> blocks = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            blocks.add(EncoderBlock.create(g, "layers." + i, width, heads, 2 * width, 1e-5, AttentionMask.causalMask(), true));
        }
        return new Decoder(Embedding.create(g, "embed", VOCAB, width), PositionalEmbedding.create(g, "pos", T, width), blocks,
                LayerNorm.create(g, "ln", 1e-5, width), Linear.create(g, "head", width, VOCAB));
    }

    /** Sequences and targets: ids [b, T], labels [b, T] with -100 on the first N positions. */
    static void sample(SplittableRandom rnd, int b, int[] ids, int[] labels) {
        for (int s = 0; s < b; s++) {
            int[] x = new int[N];
            for (int i = 0; i < N; i++) x[i] = rnd.nextInt(DIGITS);
            for (int i = 0; i < T; i++) {
                ids[s * T + i] = i < N ? x[i] : i == N ? SEP : x[T - i];
                labels[s * T + i] = i < N ? -100 : x[2 * N - 1 - i];
            }
        }
    }

    @Test
    void aTwoLayerCausalDecoderLearnsToReverse() {
        Graph g = new Graph();
        Decoder model = decoder(g, 2, WIDTH, 4);
        ParameterStore store = new ParameterStore();
        SplittableRandom rnd = new SplittableRandom(3);
        for (Module m : model.modules()) m.initialize(store, Init.XAVIER_UNIFORM, rnd);
        Node ids = g.integers("ids", VOCAB, BATCH, T), labels = g.labelsIgnoring("labels", VOCAB, -100, BATCH, T);
        Node loss = Ops.crossEntropy(model.logits(ids, Forward.train()), labels, -1);
        int steps = 600; // 500 reach 99.98% (300: 95.4%)
        Adam adam = Adam.adamW(LearningRateSchedule.cosine(3e-3, 1e-4, steps).withWarmup(50), 0.01);
        List<Node> params = new ArrayList<>();
        for (Module m : model.modules()) for (StateEntry e : m.state()) params.add(e.node());
        TrainingStep step = TrainingStep.compile(store, loss, params, adam, false);
        int[] x = new int[BATCH * T], y = new int[BATCH * T];
        for (int s = 0; s < steps; s++) {
            sample(rnd, BATCH, x, y);
            step.program().setLabels(ids, x);
            step.program().setLabels(labels, y);
            step.run();
        }
        int evalBatch = 500;
        Node evalIds = g.integers("eval.ids", VOCAB, evalBatch, T);
        Node logits = model.logits(evalIds, Forward.eval());
        Program eval = Compiler.compile(store, List.of(logits));
        int[] ex = new int[evalBatch * T], ey = new int[evalBatch * T];
        sample(new SplittableRandom(99), evalBatch, ex, ey);
        eval.setLabels(evalIds, ex);
        eval.run();
        float[] z = eval.get(logits);
        int right = 0, total = 0;
        for (int p = 0; p < evalBatch * T; p++) {
            if (ey[p] < 0) continue;
            int best = 0;
            for (int c = 1; c < VOCAB; c++) if (z[p * VOCAB + c] > z[p * VOCAB + best]) best = c;
            right += best == ey[p] ? 1 : 0;
            total++;
        }
        double accuracy = (double) right / total;
        assertTrue(accuracy >= 0.99, "token accuracy " + accuracy);
    }
}
