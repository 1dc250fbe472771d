package org.panagrad.compiler;

import org.panagrad.graph.DType;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.ops.Add;
import org.panagrad.ops.Mul;
import org.panagrad.ops.Sub;
import org.panagrad.ops.fused.ElementwiseChain;

import java.util.BitSet;
import java.util.List;

/**
 * Merges two broadcasting binary ops into one pass ({@link ElementwiseChain}) where the first one's result is read
 * only by the second: a product added to, subtracted from or multiplied by a third operand, and a sum or
 * difference multiplied by one. Derivative rules build these everywhere (a layer norm's and a GELU's second-order
 * terms), and each was two passes over memory-bound tensors. Runs after {@link Fusion}, so a bias add or ReLU mask
 * that fuses into a GEMM does so first. Of two candidate operands, the larger is merged (it saves the larger store
 * and load).
 * <p>
 * Only in programs with at least {@link #MIN_CHAINS} of them: the chain kernel is a vector loop of its own, and in
 * a program that runs it a few times per run it would stay C1 code, allocating a heap vector per Vector API call,
 * for thousands of runs (the rule on cold methods in docs/ARCHITECTURE.md); there the two binary ops, whose loop
 * every program keeps hot, are cheaper. At 16, resnet8's training step (batch 4, -Xbatch) fused its chains and then
 * allocated 6.9 KB per step in FixedStepsAllocationTest, not diagnosed; vit-tiny's HVP has about a hundred.
 */
final class ElementwiseChains {
    private ElementwiseChains() {}

    static final int MIN_CHAINS = 64;

    static List<Node> run(List<Node> outputs) {
        int[] uses = Rewrite.useCounts(outputs);
        if (candidates(outputs, uses) < MIN_CHAINS) return outputs;
        return Rewrite.apply(outputs, (original, n) -> {
            int side = side(original, n, uses);
            return side < 0 ? n : ElementwiseChain.merge(n, side);
        });
    }

    /** Nodes that would merge with an operand, counted on the graph before any merge. */
    private static int candidates(List<Node> outputs, int[] uses) {
        BitSet reachable = Rewrite.reachable(outputs);
        List<Node> all = outputs.get(0).graph().nodes();
        int count = 0;
        for (int id = reachable.nextSetBit(0); id >= 0; id = reachable.nextSetBit(id + 1)) {
            if (side(all.get(id), all.get(id), uses) >= 0) count++;
        }
        return count;
    }

    /** The operand of n (original after rewriting) to compute in n's pass, the larger of two, or -1 for none. */
    private static int side(Node original, Node n, int[] uses) {
        Op outer = n.op();
        if (n.dtype() != DType.FLOAT || !(outer instanceof Add || outer instanceof Sub || outer instanceof Mul)) return -1;
        int best = -1;
        for (int side = 0; side < 2; side++) {
            Node inner = n.input(side);
            if (uses[original.input(side).id()] != 1 || inner.dtype() != DType.FLOAT
                    || n.input(1 - side).dtype() != DType.FLOAT || !ElementwiseChain.merges(n, side)) continue;
            if (best < 0 || inner.shape().numel() > n.input(best).shape().numel()) best = side;
        }
        return best;
    }
}
