package org.panagrad.compiler;

import org.panagrad.graph.Node;
import org.panagrad.ops.Attention;

import java.util.List;

/**
 * Lowers a fused attention to its composed form (batched matmul, scale, mask, softmax, matmul) at head dims below
 * {@link #MIN_FUSED_HEAD_DIM}, where the composed form is the faster one (AttentionAlternating: composed / fused
 * 0.72 at [16, 4, 256, 8]): the fused kernel's products over d are too short to keep its FMA chains busy.
 * {@link Compiler.Options#lower()} turns it off (tests that run the fused kernel at small head dims).
 */
final class AttentionLowering {
    private AttentionLowering() {}

    /** Head dims from which the fused forward is faster than the composed one (2.08x at vit-tiny's d = 16). */
    static final int MIN_FUSED_HEAD_DIM = 16;

    static List<Node> run(List<Node> outputs) {
        return Rewrite.apply(outputs, (original, n) -> n.op() instanceof Attention
                && Attention.headDim(n) < MIN_FUSED_HEAD_DIM ? ((Attention) n.op()).composedFor(n) : n);
    }
}
