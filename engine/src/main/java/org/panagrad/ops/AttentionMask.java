package org.panagrad.ops;

import org.panagrad.graph.Node;

/**
 * What an attention may not look at, as torch's scaled_dot_product_attention takes it: an additive float mask
 * (added to the scaled scores; -inf hides a key), or a boolean one (a constant of zeros and ones, 1 = attend,
 * {@code Graph.constant}), either broadcasting to the scores [..., Tq, Tk]; and/or a causal mask (key j hidden
 * from query i when j > i).
 */
public record AttentionMask(Node values, boolean additive, boolean causal) {
    /** Every query sees every key. */
    public static final AttentionMask NONE = new AttentionMask(null, false, false);

    public static AttentionMask causalMask() {
        return new AttentionMask(null, false, true);
    }

    /** A float mask added to the scaled scores (a padding mask holds -inf at padded keys). */
    public static AttentionMask additive(Node values) {
        return new AttentionMask(values, true, false);
    }

    /** A constant of zeros and ones: a score is kept where it is 1 and hidden where it is 0. */
    public static AttentionMask keep(Node values) {
        return new AttentionMask(values, false, false);
    }

    /** This mask and the causal one together. */
    public AttentionMask andCausal() {
        return new AttentionMask(values, additive, true);
    }
}
