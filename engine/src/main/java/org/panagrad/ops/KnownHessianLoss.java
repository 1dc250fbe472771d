package org.panagrad.ops;

import org.panagrad.graph.Node;

/**
 * A loss whose Hessian with respect to its prediction (first input) has a closed form, which is what a
 * Gauss-Newton-vector product J^T H_L J v needs.
 */
public interface KnownHessianLoss {
    /** H_L u, for a tangent u of the prediction, as graph nodes. */
    Node hessianTimes(Node loss, Node u);
}
