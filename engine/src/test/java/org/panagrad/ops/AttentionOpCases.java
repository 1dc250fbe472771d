package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCases;

import java.util.ArrayList;
import java.util.List;

import static org.panagrad.testing.OpCase.floats;
import static org.panagrad.testing.OpCase.labels;

/**
 * Fused attention at ranks 2 to 4 (rank 1 has no [T, d] matrices): unmasked, causal with more keys than queries,
 * an additive mask broadcast over the batch (differentiated too), a padding mask [B, 1, 1, Tk] and a boolean
 * constant; the composed form on the same cases, and with dropout on the probabilities at a fixed step; the fused
 * backward ({@link AttentionGrad}) as an op of (q, k, v, g) with each kind of mask, and its VJP
 * ({@link AttentionGradVjp}) as an op of (q, k, v, g, a) likewise, also without its gBar.
 */
public class AttentionOpCases implements OpCases {
    @Override
    public List<OpCase> cases() {
        List<OpCase> cases = new ArrayList<>();
        both(cases, "[3x5] [7x5] [7x2]", AttentionMask.NONE, floats(3, 5), floats(7, 5), floats(7, 2));
        both(cases, "causal [2x3x4] [2x7x4] [2x7x3]", AttentionMask.causalMask(), floats(2, 3, 4), floats(2, 7, 4), floats(2, 7, 3));
        both(cases, "causal [1x2x7x3] square", AttentionMask.causalMask(), floats(1, 2, 7, 3), floats(1, 2, 7, 3), floats(1, 2, 7, 3));
        for (boolean fused : new boolean[] {true, false}) {
            String kind = fused ? "attention" : "composed attention";
            cases.add(OpCase.of(kind + " additive mask [3x7] over [2x3x5]", x -> apply(fused, x, AttentionMask.additive(x[3])),
                    floats(2, 3, 5), floats(2, 7, 5), floats(2, 7, 3), floats(3, 7)));
            cases.add(OpCase.of(kind + " padding mask [2x1x1x7] and causal", x -> apply(fused, x, AttentionMask.additive(
                    padding(x[0], 2, 7)).andCausal()), floats(2, 2, 7, 3), floats(2, 2, 7, 3), floats(2, 2, 7, 3)));
            cases.add(OpCase.of(kind + " boolean mask [3x7]", x -> apply(fused, x, AttentionMask.keep(keep(x[0], 3, 7))),
                    floats(3, 5), floats(7, 5), floats(7, 2)));
        }
        // The fused backward as an op of (q, k, v, g[, mask]), differentiated to second order itself.
        grad(cases, "[3x5] [4x5] [4x2]", AttentionMask.NONE, floats(3, 5), floats(4, 5), floats(4, 2), floats(3, 2));
        grad(cases, "causal [2x3x4] [2x5x4] [2x5x3]", AttentionMask.causalMask(), floats(2, 3, 4), floats(2, 5, 4),
                floats(2, 5, 3), floats(2, 3, 3));
        cases.add(OpCase.of("attention_grad additive mask [3x4] over [2x3x5]", x -> AttentionGrad.flat(
                apply(true, x, AttentionMask.additive(x[4])), x[3]), floats(2, 3, 5), floats(2, 4, 5), floats(2, 4, 3),
                floats(2, 3, 3), floats(3, 4)).in(-2, 2));
        cases.add(OpCase.of("attention_grad padding mask [2x1x1x5] and causal", x -> AttentionGrad.flat(apply(true, x,
                AttentionMask.additive(padding(x[0], 2, 5)).andCausal()), x[3]), floats(2, 2, 5, 3), floats(2, 2, 5, 3),
                floats(2, 2, 5, 3), floats(2, 2, 5, 3)).in(-2, 2));
        cases.add(OpCase.of("attention_grad boolean mask [3x4]", x -> AttentionGrad.flat(apply(true, x,
                AttentionMask.keep(keep(x[0], 3, 4))), x[3]), floats(3, 5), floats(4, 5), floats(4, 2), floats(3, 2)).in(-2, 2));
        // The backward's VJP as one fused instruction (the composite, whose derivatives are its composed value's).
        cases.add(OpCase.of("attention_grad_vjp [3x5] [4x5] [4x2]", x -> AttentionGrad.secondOrder(AttentionGrad.flat(
                apply(true, x, AttentionMask.NONE), x[3]), x[4], true), floats(3, 5), floats(4, 5), floats(4, 2), floats(3, 2),
                floats(15 + 20 + 8)).in(-2, 2));
        cases.add(OpCase.of("attention_grad_vjp causal [2x3x4] [2x5x4] [2x5x3]", x -> AttentionGrad.secondOrder(
                AttentionGrad.flat(apply(true, x, AttentionMask.causalMask()), x[3]), x[4], true), floats(2, 3, 4), floats(2, 5, 4),
                floats(2, 5, 3), floats(2, 3, 3), floats(24 + 40 + 30)).in(-2, 2));
        cases.add(OpCase.of("attention_grad_vjp additive mask [3x4] over [2x3x5]", x -> AttentionGrad.secondOrder(
                AttentionGrad.flat(apply(true, x, AttentionMask.additive(x[5])), x[3]), x[4], true), floats(2, 3, 5),
                floats(2, 4, 5), floats(2, 4, 3), floats(2, 3, 3), floats(30 + 40 + 24), floats(3, 4)).in(-2, 2));
        cases.add(OpCase.of("attention_grad_vjp padding mask [2x1x1x5] and causal", x -> AttentionGrad.secondOrder(
                AttentionGrad.flat(apply(true, x, AttentionMask.additive(padding(x[0], 2, 5)).andCausal()), x[3]), x[4], true),
                floats(2, 2, 5, 3), floats(2, 2, 5, 3), floats(2, 2, 5, 3), floats(2, 2, 5, 3), floats(3 * 60)).in(-2, 2));
        cases.add(OpCase.of("attention_grad_vjp boolean mask [3x4]", x -> AttentionGrad.secondOrder(AttentionGrad.flat(
                apply(true, x, AttentionMask.keep(keep(x[0], 3, 4))), x[3]), x[4], true), floats(3, 5), floats(4, 5), floats(4, 2),
                floats(3, 2), floats(15 + 20 + 8)).in(-2, 2));
        // Without gBar, as forward over reverse builds it (AttentionGrad.jvp): qBar | kBar | vBar only.
        cases.add(OpCase.of("attention_grad_vjp without gBar, causal [2x3x4] [2x5x4] [2x5x3]", x -> AttentionGrad.secondOrder(
                AttentionGrad.flat(apply(true, x, AttentionMask.causalMask()), x[3]), x[4], false), floats(2, 3, 4),
                floats(2, 5, 4), floats(2, 5, 3), floats(2, 3, 3), floats(24 + 40 + 30)).in(-2, 2));
        cases.add(OpCase.of("attention_grad_vjp without gBar, additive mask [3x4] over [2x3x5]", x -> AttentionGrad.secondOrder(
                AttentionGrad.flat(apply(true, x, AttentionMask.additive(x[5])), x[3]), x[4], false), floats(2, 3, 5),
                floats(2, 4, 5), floats(2, 4, 3), floats(2, 3, 3), floats(30 + 40 + 24), floats(3, 4)).in(-2, 2));
        // Dropout on the probabilities at a fixed step (the last input): a fixed mask, differentiated to second order.
        for (double p : new double[] {0.3, 0.8}) {
            cases.add(OpCase.of("composed attention, dropout p=" + p + ", causal [2x3x4] [2x7x4] [2x7x3]",
                    x -> Ops.attention(x[0], x[1], x[2], AttentionMask.causalMask(), p, x[3], 17),
                    floats(2, 3, 4), floats(2, 7, 4), floats(2, 7, 3), labels(1000)).in(-2, 2));
        }
        cases.add(OpCase.of("composed attention, dropout p=0.5 [1x2x7x3]", x -> Ops.attention(x[0], x[1], x[2],
                AttentionMask.NONE, 0.5, x[3], 3), floats(1, 2, 7, 3), floats(1, 2, 7, 3), floats(1, 2, 7, 3), labels(1000)));
        return cases;
    }

    private static void both(List<OpCase> cases, String what, AttentionMask mask, OpCase.Arg q, OpCase.Arg k, OpCase.Arg v) {
        cases.add(OpCase.of("attention " + what, x -> apply(true, x, mask), q, k, v).in(-2, 2));
        cases.add(OpCase.of("composed attention " + what, x -> apply(false, x, mask), q, k, v).in(-2, 2));
    }

    private static void grad(List<OpCase> cases, String what, AttentionMask mask, OpCase.Arg q, OpCase.Arg k, OpCase.Arg v,
                             OpCase.Arg g) {
        cases.add(OpCase.of("attention_grad " + what, x -> AttentionGrad.flat(apply(true, x, mask), x[3]), q, k, v, g).in(-2, 2));
    }

    private static Node apply(boolean fused, Node[] x, AttentionMask mask) {
        double scale = 1 / Math.sqrt(x[0].shape().dim(x[0].shape().rank() - 1));
        return fused ? Attention.fused(x[0], x[1], x[2], mask, scale) : Attention.composed(x[0], x[1], x[2], mask, scale);
    }

    /** -inf at the last key of the first batch entry and at the last two of the second: [2, 1, 1, tk]. */
    static Node padding(Node any, int batch, int tk) {
        float[] m = new float[batch * tk];
        for (int b = 0; b < batch; b++) for (int j = tk - 1 - b; j < tk; j++) m[b * tk + j] = Float.NEGATIVE_INFINITY;
        return any.graph().constant("padding", Shape.of(batch, 1, 1, tk), m);
    }

    /** A 0/1 pattern with at least one 1 per row. */
    static Node keep(Node any, int tq, int tk) {
        float[] m = new float[tq * tk];
        for (int i = 0; i < tq; i++) for (int j = 0; j < tk; j++) m[i * tk + j] = (i + 2 * j) % 3 != 1 ? 1f : 0f;
        return any.graph().constant("keep", Shape.of(tq, tk), m);
    }
}
