package org.panagrad.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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

    /**
     * A causal attention whose padding hides key 0 of the second batch entry, as an additive mask (-inf) or a
     * boolean one (0 = hidden, which the composed form turns into an addend): that entry's query 0 sees no key. As
     * in PyTorch 1.13's composed softmax, its output row is NaN, and so is everything its NaN probabilities reach:
     * its query gradient and every key and value gradient of its entry, and the second order's corresponding parts
     * (both HVP forms). The fused and composed programs and the float64 references of both graphs agree NaN for NaN,
     * and within float32 tolerance elsewhere; the first entry is finite throughout.
     */
    @ParameterizedTest(name = "boolean mask {0}")
    @ValueSource(booleans = {false, true})
    void aQuerySeeingNoKeyIsNaNInEveryFormToSecondOrder(boolean keep) {
        int[] dims = {2, 2, 5, 3};
        int n = Shape.of(dims).numel();
        Graph g = new Graph();
        Node q = g.input("q", dims), k = g.input("k", dims), v = g.input("v", dims), w = g.input("w", dims);
        Node[] t = {g.input("tq", dims), g.input("tk", dims), g.input("tv", dims)};
        float[] hide = new float[2 * 5];
        if (keep) java.util.Arrays.fill(hide, 1f);
        hide[5] = keep ? 0f : Float.NEGATIVE_INFINITY;
        Node padding = g.constant("front padding", Shape.of(2, 1, 1, 5), hide);
        AttentionMask mask = (keep ? AttentionMask.keep(padding) : AttentionMask.additive(padding)).andCausal();
        Random rnd = new Random(11);
        java.util.Map<Node, double[]> feed = new java.util.HashMap<>();
        for (Node in : new Node[] {q, k, v, w, t[0], t[1], t[2]}) {
            feed.put(in, Reference.toDouble(Reference.toFloat(Reference.random(rnd, n, -2, 2))));
        }
        List<List<double[]>> forms = new java.util.ArrayList<>();
        for (boolean fused : new boolean[] {true, false}) {
            Node y = fused ? Ops.fusedAttention(q, k, v, mask) : Ops.attention(q, k, v, mask);
            Node loss = Ops.sum(Ops.mul(y, w));
            Node[] x = {q, k, v};
            List<Node> outs = new java.util.ArrayList<>(List.of(y));
            outs.addAll(List.of(Autodiff.grad(loss, x)));
            outs.addAll(List.of(Autodiff.hvpReverseOverReverse(loss, x, t)));
            outs.addAll(List.of(Autodiff.hvpForwardOverReverse(loss, x, t)));
            Program program = Compiler.compile(new ParameterStore(), outs, fused ? Compiler.Options.UNLOWERED
                    : Compiler.Options.ALL);
            if (fused) assertTrue(program.instructionNodes().stream().anyMatch(i -> i.op() instanceof Attention));
            feed.forEach((in, x64) -> program.set(in, Reference.toFloat(x64)));
            program.run();
            java.util.Map<Node, double[]> exact = org.panagrad.runtime.ReferenceInterpreter.evaluate(outs, feed);
            List<double[]> ran = new java.util.ArrayList<>(), reference = new java.util.ArrayList<>();
            for (Node o : outs) {
                ran.add(Reference.toDouble(program.get(o)));
                reference.add(exact.get(o));
            }
            forms.add(ran);
            forms.add(reference);
        }
        String[] names = {"output", "dq", "dk", "dv", "hvp q", "hvp k", "hvp v", "forward-over-reverse q",
            "forward-over-reverse k", "forward-over-reverse v"};
        String[] form = {"fused", "fused graph in float64", "composed", "composed graph in float64"};
        List<double[]> want = forms.get(3);
        for (int o = 0; o < names.length; o++) {
            double[] exact = want.get(o);
            for (int e = 0; e < n; e++) {
                // [2, 2, 5, 3]: entry 1 is the second half; its query 0 is row 0 of each head.
                boolean entry1 = e >= n / 2, row0 = e % 15 < 3;
                boolean nan = entry1 && (o == 2 || o == 3 || o == 5 || o == 6 || o == 8 || o == 9 || row0);
                assertEquals(nan, Double.isNaN(exact[e]), names[o] + " in float64 at " + e);
            }
            for (int f = 0; f < 3; f++) {
                double[] got = forms.get(f).get(o);
                double scale = 0;
                for (double x : exact) if (!Double.isNaN(x)) scale = Math.max(scale, Math.abs(x));
                for (int e = 0; e < n; e++) {
                    String what = form[f] + " " + names[o] + " at " + e;
                    if (Double.isNaN(exact[e])) assertTrue(Double.isNaN(got[e]), what + " is NaN in float64, not " + got[e]);
                    else assertEquals(exact[e], got[e], 1e-5 * scale + 2e-5 * Math.abs(exact[e]), what);
                }
            }
        }
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
