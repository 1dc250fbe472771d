package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;

/**
 * Batch normalisation built from its parts: the per-channel statistics (batch moments in training, running ones
 * in evaluation) and the affine parameters fold into one scale and shift per channel, tiny [C] ops, and
 * {@link ChannelAffine} applies them in one pass. Every part has graph-op derivatives, so the VJP, the JVP and
 * the Hessian through the batch statistics are exact.
 */
final class BatchNorms {
    private BatchNorms() {}

    static Node normalize(Node x, Node mean, Node var, Node weight, Node bias, double eps) {
        Shape s = x.shape();
        if (s.rank() < 2) throw new ShapeException("batch_norm of " + x.describe() + ": expected an input [N, C, ...] of rank 2 or more");
        if (!(eps > 0)) throw new IllegalArgumentException("batch_norm of " + x.describe() + ": eps must be positive, got " + eps);
        Shape channels = Shape.of(s.dim(1));
        for (Node v : new Node[] {mean, var, weight, bias}) {
            if (v != null && !v.shape().equals(channels)) {
                throw ShapeException.of("batch_norm", x, v, "statistics, weight and bias must be [C] = " + channels);
            }
        }
        Node scale = Rsqrt.of(Add.of(var, x.graph().fill(eps, Shape.scalar())));
        if (weight != null) scale = Mul.of(scale, weight);
        Node shift = Neg.of(Mul.of(mean, scale));
        if (bias != null) shift = Add.of(shift, bias);
        return ChannelAffine.of(x, scale, shift);
    }
}
