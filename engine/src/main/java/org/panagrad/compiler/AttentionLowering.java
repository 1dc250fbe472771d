package org.panagrad.compiler;

import org.panagrad.graph.Node;
import org.panagrad.ops.Attention;
import org.panagrad.ops.AttentionGrad;
import org.panagrad.ops.AttentionGradVjp;

import java.util.List;

/**
 * Lowers a fused attention and its fused backward ({@link AttentionGrad}) to their composed forms (batched matmul,
 * scale, mask, softmax) at head dims below {@link #MIN_FUSED_HEAD_DIM}, where those are faster (AttentionAlternating:
 * composed / fused 0.57 forward and 0.13 forward + backward at [16, 4, 256, 8], one thread): the fused kernels'
 * products over d are shorter than a vector there. Lowered, the forward's probabilities and the backward's are
 * equal expressions, which common-subexpression elimination then computes once. The second order
 * ({@link AttentionGradVjp}, a composite of its kernel and its composed value) becomes its composed value there, and
 * the kernel's node without that value everywhere else, so the composed graph is never run.
 * {@link Compiler.Options#lower()} turns the lowering off (tests that run the fused kernel at small head dims); the
 * composites still become the kernel's nodes, the only form {@link AttentionGradVjp#compile} takes.
 */
final class AttentionLowering {
    private AttentionLowering() {}

    /** Head dims from which the fused forward is faster than the composed one (2.08x at vit-tiny's d = 16). */
    static final int MIN_FUSED_HEAD_DIM = 16;

    /** With {@code lower} false, only the second order's composites become the kernel's nodes, at every head dim. */
    static List<Node> run(List<Node> outputs, boolean lower) {
        return Rewrite.apply(outputs, (original, n) -> {
            if (n.op() instanceof Attention op && lowered(n, lower)) return op.composedFor(n);
            if (n.op() instanceof AttentionGrad op && lowered(n, lower)) return op.composedFor(n);
            if (n.op() instanceof AttentionGradVjp op && op.composite()) return lowered(n, lower) ? op.composedFor(n) : op.fusedFor(n);
            return n;
        });
    }

    /** Whether the attention node n (fused forward, backward or second order) runs its composed form. */
    private static boolean lowered(Node n, boolean lower) {
        return lower && Attention.headDim(n) < MIN_FUSED_HEAD_DIM;
    }
}
