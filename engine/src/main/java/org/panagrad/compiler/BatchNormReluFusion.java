package org.panagrad.compiler;

import org.panagrad.graph.Node;
import org.panagrad.ops.Add;
import org.panagrad.ops.ChannelAffine;
import org.panagrad.ops.ChannelDots;
import org.panagrad.ops.Relu;
import org.panagrad.ops.fused.ChannelAffinePair;
import org.panagrad.ops.fused.ChannelAffineRelu;
import org.panagrad.ops.fused.MaskedAffinePair;
import org.panagrad.ops.fused.MaskedChannelDots;
import org.panagrad.ops.fused.ReluBackward;

import java.util.BitSet;
import java.util.List;

/**
 * Batch norm and the ReLU around it, after {@link Fusion} (which makes the channel_affine_pair and relu_backward
 * nodes this pass matches).
 * <ul>
 * <li>Forward: the ReLU after a batch norm (alone, plus an identity shortcut, or plus a downsampled shortcut's
 * batch norm) runs in the normalising pass when nothing else reads the pre-activation ({@link ChannelAffineRelu}).
 * <li>Backward: where relu(x * s + h) is a batch norm's output with its ReLU, the mask of its relu_backward goes
 * into that batch norm's two backward passes, recomputed from x, which both read anyway, when those passes are all
 * that read the masked cotangent ({@link MaskedChannelDots}, {@link MaskedAffinePair}): the masked cotangent is
 * never stored and the ReLU's output not read. A mask read by more passes (a block's last ReLU, whose gradient
 * feeds two batch norms or the shortcut) keeps its relu_backward: recomputing it per reader would read more.
 * </ul>
 * Every kernel keeps each element's rounding, so programs give the same bits with or without this pass. The
 * derivative rules stay graph ops; only the compiled instructions change.
 */
final class BatchNormReluFusion {
    private BatchNormReluFusion() {}

    static List<Node> run(List<Node> outputs) {
        int[] uses = Rewrite.useCounts(outputs);
        BitSet absorbed = masksAbsorbed(outputs, uses);
        return Rewrite.apply(outputs, (original, n) -> {
            if (n.op() instanceof Relu) return fuseRelu(original, n, uses);
            if (n.arity() == 0 || !absorbed.get(original.input(0).id())) return n;
            Node mask = n.input(0);
            boolean fusedForward = mask.input(1).op() instanceof ChannelAffineRelu
                    && ((ChannelAffineRelu) mask.input(1).op()).form() == ChannelAffineRelu.Form.AFFINE;
            if (!fusedForward) return n;
            Node x = mask.input(1).input(0);
            if (n.op() instanceof ChannelDots && n.input(1) == x) return MaskedChannelDots.of(n, mask);
            if (n.op() instanceof ChannelAffinePair && n.input(3) == x) return MaskedAffinePair.of(n, mask);
            return n;
        });
    }

    /** relu(channel_affine), relu(channel_affine + r) and relu(channel_affine_pair), each read by the ReLU alone. */
    private static Node fuseRelu(Node original, Node relu, int[] uses) {
        Node x = relu.input(0), before = original.input(0);
        if (uses[before.id()] != 1 || !x.shape().equals(relu.shape())) return relu;
        if (x.op() instanceof ChannelAffine) return ChannelAffineRelu.affine(x);
        if (x.op() instanceof ChannelAffinePair) return ChannelAffineRelu.pair(x);
        if (x.op() instanceof Add) {
            for (int side = 0; side < 2; side++) {
                Node affine = x.input(side), r = x.input(1 - side);
                if (affine.op() instanceof ChannelAffine && uses[before.input(side).id()] == 1 && affine.shape().equals(x.shape())
                        && r.shape().equals(x.shape()) && affine != r) {
                    return ChannelAffineRelu.residual(affine, r);
                }
            }
        }
        return relu;
    }

    /**
     * The relu_backward nodes, by id, whose ReLU follows a batch norm alone (relu of a channel_affine read by that
     * ReLU only, so that {@link #fuseRelu} fuses them) and whose every reader is that batch norm's backward: a
     * channel_dots with the batch norm's input as second operand, or a channel_affine_pair with it as its second
     * map's input, each reading the masked cotangent as first operand only.
     */
    private static BitSet masksAbsorbed(List<Node> outputs, int[] uses) {
        int[] absorbing = new int[uses.length];
        BitSet reachable = Rewrite.reachable(outputs);
        List<Node> all = outputs.get(0).graph().nodes();
        for (int id = reachable.nextSetBit(0); id >= 0; id = reachable.nextSetBit(id + 1)) {
            Node n = all.get(id);
            if (n.arity() == 0 || !(n.input(0).op() instanceof ReluBackward)) continue;
            Node x = normalized(n.input(0), uses);
            if (x == null) continue;
            boolean dots = n.op() instanceof ChannelDots && n.input(1) == x && n.input(0) != x;
            boolean pair = n.op() instanceof ChannelAffinePair && n.input(3) == x;
            for (int k = 1; k < n.arity() && (dots || pair); k++) if (n.input(k) == n.input(0)) dots = pair = false;
            if (dots || pair) absorbing[n.input(0).id()]++;
        }
        BitSet absorbed = new BitSet();
        for (int id = reachable.nextSetBit(0); id >= 0; id = reachable.nextSetBit(id + 1)) {
            if (all.get(id).op() instanceof ReluBackward && absorbing[id] > 0 && absorbing[id] == uses[id]) absorbed.set(id);
        }
        return absorbed;
    }

    /** x when the mask comes from relu(channel_affine(x, s, h)) with the affine map read by the ReLU alone; else null. */
    private static Node normalized(Node reluBackward, int[] uses) {
        Node y = reluBackward.input(1);
        if (!(y.op() instanceof Relu)) return null;
        Node affine = y.input(0);
        return affine.op() instanceof ChannelAffine && uses[affine.id()] == 1 && affine.shape().equals(y.shape()) ? affine.input(0) : null;
    }
}
