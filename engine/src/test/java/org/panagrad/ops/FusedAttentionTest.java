package org.panagrad.ops;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.testing.Reference;

import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused and composed attentions as float32 programs agree within float32 tolerance, forward and gradients,
 * at vit-tiny's shapes ([B, 4 heads, 17, 16]), a head dim of 8 and a long causal sequence (T = 256, d = 64); bad
 * shapes, and sequences too long for the fused kernels' workspaces, fail at build. The fused side compiles without the lowerings, so its own kernel and derivative rules run.
 */
class FusedAttentionTest {
    @Test
    void fusedAgreesWithComposedAtVitTinyShapes() {
        agree(new int[] {8, 4, 17, 16}, AttentionMask.NONE);
    }

    @Test
    void fusedAgreesWithComposedAtHeadDim8() {
        agree(new int[] {2, 4, 33, 8}, AttentionMask.causalMask());
    }

    @Test
    void fusedAgreesWithComposedOnALongCausalSequence() {
        agree(new int[] {1, 2, 256, 64}, AttentionMask.causalMask());
    }

    private static void agree(int[] dims, AttentionMask mask) {
        Graph g = new Graph();
        Node q = g.input("q", dims), k = g.input("k", dims), v = g.input("v", dims), w = g.input("w", dims);
        Node fused = Ops.fusedAttention(q, k, v, mask), composed = Ops.attention(q, k, v, mask);
        Node[] gf = Autodiff.grad(Ops.sum(Ops.mul(fused, w)), q, k, v);
        Node[] gc = Autodiff.grad(Ops.sum(Ops.mul(composed, w)), q, k, v);
        Program pf = Compiler.compile(new ParameterStore(), List.of(fused, gf[0], gf[1], gf[2]), Compiler.Options.UNLOWERED);
        Program pc = Compiler.compile(new ParameterStore(), List.of(composed, gc[0], gc[1], gc[2]));
        assertTrue(pf.instructionNodes().stream().anyMatch(n -> n.op() instanceof Attention), "the fused instruction runs");
        Random rnd = new Random(7);
        int n = Shape.of(dims).numel();
        for (Node in : new Node[] {q, k, v, w}) {
            float[] x = Reference.toFloat(Reference.random(rnd, n, -2, 2));
            pf.set(in, x);
            pc.set(in, x);
        }
        pf.run();
        pc.run();
        close(pc.get(composed), pf.get(fused), "output");
        for (int i = 0; i < 3; i++) close(pc.get(gc[i]), pf.get(gf[i]), "gradient " + i);
    }

    private static void close(float[] want, float[] got, String what) {
        double scale = 0;
        for (float x : want) scale = Math.max(scale, Math.abs(x));
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5 * scale + 2e-5 * Math.abs(want[i]), what + " at " + i);
        }
    }

    @Test
    void aMaskThatDoesNotBroadcastNamesBothShapes() {
        Graph g = new Graph();
        Node q = g.input("q", 2, 4, 5, 8), m = g.input("pad", 3, 1, 1, 5);
        ShapeException e = assertThrows(ShapeException.class, () -> Ops.fusedAttention(q, q, q, AttentionMask.additive(m)));
        assertTrue(e.getMessage().contains("pad [3x1x1x5]") && e.getMessage().contains("[2x4x5x5]"), e.getMessage());
        assertThrows(ShapeException.class, () -> Ops.attention(q, q, q, AttentionMask.additive(m)));
    }

    @Test
    void mismatchedQueriesKeysAndValuesFailAtBuild() {
        Graph g = new Graph();
        Node q = g.input("q", 2, 5, 8), k = g.input("k", 2, 6, 7), v = g.input("v", 2, 5, 8);
        assertTrue(assertThrows(ShapeException.class, () -> Ops.fusedAttention(q, k, k, AttentionMask.NONE)).getMessage()
                .contains("same last dim d"));
        Node k2 = g.input("k2", 2, 6, 8);
        assertTrue(assertThrows(ShapeException.class, () -> Ops.fusedAttention(q, k2, v, AttentionMask.NONE)).getMessage()
                .contains("same count Tk"));
        Node notConstant = g.input("m", 5, 5);
        assertTrue(assertThrows(ShapeException.class, () -> Ops.fusedAttention(q, q, q, AttentionMask.keep(notConstant)))
                .getMessage().contains("Graph.constant"));
    }

    @Test
    void aSequenceTooLongForTheFusedWorkspacesFailsWhenTheGraphIsBuilt() {
        Graph g = new Graph();
        Node x = g.input("x", 1, 33000, 64);
        ShapeException e = assertThrows(ShapeException.class,
                () -> Autodiff.grad(Ops.sum(Ops.fusedAttention(x, x, x, AttentionMask.NONE)), x));
        assertTrue(e.getMessage().startsWith("attention_grad of x [1x33000x64]: the fused attention backward at"
                + " Tq = 33000, Tk = 33000") && e.getMessage().contains("(2,147,483,639)"), e.getMessage());
        // The backward fits at 23,500, its second order (twice the score rows) does not; the length named fits.
        Node q = g.input("q", 1, 23500, 64);
        Node dq = Autodiff.grad(Ops.sum(Ops.fusedAttention(q, q, q, AttentionMask.NONE)), q)[0];
        e = assertThrows(ShapeException.class, () -> Autodiff.grad(Ops.sum(Ops.mul(dq, q)), q));
        String m = e.getMessage();
        assertTrue(m.startsWith("attention_grad_vjp of q [1x23500x64]: the fused attention second order at Tq = 23500"), m);
        Matcher named = Pattern.compile("up to Tq = Tk = (\\d+) fit$").matcher(m);
        assertTrue(named.find(), m);
        int longest = Integer.parseInt(named.group(1));
        Node fits = g.input("fits", 1, longest, 64);
        Node df = Autodiff.grad(Ops.sum(Ops.fusedAttention(fits, fits, fits, AttentionMask.NONE)), fits)[0];
        assertEquals(3, Autodiff.grad(Ops.sum(Ops.mul(df, fits)), fits)[0].shape().rank(), "the named length " + longest);
        Node over = g.input("over", 1, longest + 1, 64);
        Node dOver = Autodiff.grad(Ops.sum(Ops.fusedAttention(over, over, over, AttentionMask.NONE)), over)[0];
        assertThrows(ShapeException.class, () -> Autodiff.grad(Ops.sum(Ops.mul(dOver, over)), over));
    }
}
