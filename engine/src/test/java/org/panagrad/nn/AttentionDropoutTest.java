package org.panagrad.nn;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.ops.StepCounter;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nn.MultiheadAttention's dropout on the attention probabilities: evaluation passes are exactly the module without
 * it (fused); training passes drop (composed, since the fused kernel has no mask), one mask per step for the forward
 * pass, the gradient and the HVP alike. Its derivatives against finite differences are AttentionOpCases'.
 */
class AttentionDropoutTest {
    private static final int B = 2, T = 9, E = 8, HEADS = 2;
    private final Graph g = new Graph();
    private final MultiheadAttention dropping = MultiheadAttention.create(g, "a", E, HEADS, true, 0.3);
    private final MultiheadAttention plain = MultiheadAttention.create(g, "b", E, HEADS, true);
    private final Node x = g.input("x", B, T, E);
    private final ParameterStore store = new ParameterStore();
    private final float[] xs = new float[B * T * E];

    AttentionDropoutTest() {
        dropping.initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(3));
        List<StateEntry> from = dropping.state(), to = plain.state();
        for (int i = 0; i < from.size(); i++) store.set(to.get(i).node(), store.get(from.get(i).node()).clone());
        // The biases start at zero: give them values so that every parameter matters.
        Random rnd = new Random(7);
        for (StateEntry e : from) {
            float[] v = store.get(e.node());
            for (int i = 0; i < v.length; i++) if (v[i] == 0) v[i] = 0.1f * (rnd.nextFloat() - 0.5f);
        }
        for (int i = 0; i < from.size(); i++) store.set(to.get(i).node(), store.get(from.get(i).node()).clone());
        for (int i = 0; i < xs.length; i++) xs[i] = rnd.nextFloat() * 2 - 1;
    }

    private float[] run(Node out, int step) {
        Program p = Compiler.compile(store, List.of(out));
        store.get(StepCounter.of(g))[0] = step;
        if (p.reads(x)) p.set(x, xs);
        p.run();
        return p.get(out).clone();
    }

    @Test
    void evaluationIsTheModuleWithoutDropout() {
        assertArrayEquals(run(plain.forward(x, Forward.eval()), 0), run(dropping.forward(x, Forward.eval()), 5));
        assertEquals("MultiheadAttention(embed_dim=8, num_heads=2, dropout=0.3)", dropping.describe());
    }

    @Test
    void trainingDropsOneMaskPerStep() {
        Node y = dropping.forward(x, Forward.train());
        float[] clean = run(plain.forward(x, Forward.train()), 3), at3 = run(y, 3);
        assertFalse(java.util.Arrays.equals(clean, at3), "training passes drop attention weights");
        assertArrayEquals(at3, run(y, 3), "a rerun at the same step");
        assertFalse(java.util.Arrays.equals(at3, run(y, 4)), "the next step draws another mask");
    }

    /** L = sum(y^2)/2 at one step: the HVP's program and the gradient's see one mask, so H v matches (g(w + hv) - g(w - hv)) / 2h. */
    @Test
    void theHvpAtAStepDifferentiatesThatStepsGradient() {
        Node y = dropping.forward(x, Forward.train());
        Node loss = Ops.scale(Ops.sum(Ops.mul(y, y)), 0.5);
        Node w = dropping.state().get(0).node(); // in_proj_weight
        Node v = g.input("v", w.shape().dims());
        Node grad = Autodiff.grad(loss, w)[0];
        Node hvp = Autodiff.hvpReverseOverReverse(loss, new Node[] {w}, new Node[] {v})[0];
        float[] vs = new float[w.shape().numel()];
        Random rnd = new Random(11);
        for (int i = 0; i < vs.length; i++) vs[i] = rnd.nextFloat() - 0.5f;
        Program hv = Compiler.compile(store, List.of(hvp));
        store.get(StepCounter.of(g))[0] = 6;
        hv.set(x, xs);
        hv.set(v, vs);
        hv.run();
        float[] product = hv.get(hvp).clone();

        float[] w0 = store.get(w).clone(), plus = w0.clone(), minus = w0.clone();
        double h = 1e-2;
        for (int i = 0; i < w0.length; i++) {
            plus[i] += (float) (h * vs[i]);
            minus[i] -= (float) (h * vs[i]);
        }
        store.set(w, plus);
        float[] gPlus = run(grad, 6);
        store.set(w, minus);
        float[] gMinus = run(grad, 6);
        store.set(w, w0);
        double err = 0, norm = 0;
        for (int i = 0; i < product.length; i++) {
            double fd = (gPlus[i] - gMinus[i]) / (2 * h);
            err = Math.max(err, Math.abs(fd - product[i]));
            norm = Math.max(norm, Math.abs(product[i]));
        }
        assertTrue(norm > 0 && err <= 2e-2 * norm, "HVP vs central differences of the gradient: max error " + err + " of " + norm);
    }

    @Test
    void aProbabilityOutsideZeroToOneIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MultiheadAttention.create(new Graph(), "attn", 8, 2, true, 1.0));
        assertEquals("attn: dropout must be in [0, 1), got 1.0", e.getMessage());
    }
}
