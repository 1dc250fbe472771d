package org.panagrad.optim.secondorder;

import org.panagrad.graph.Node;

import java.util.List;

/**
 * What a closure-based optimizer minimises: a scalar loss over the parameters, computed on the minibatch, and
 * the loss whose curvature the optimizer probes. Shapes are static, so a curvature sub-batch smaller than the
 * minibatch is a second forward of the same model on a second input node over the same parameter nodes, e.g.
 * {@code SoftmaxCrossEntropy.of(mlp.forward(xSub), labelsSub)}. By default the curvature loss is the loss.
 */
public record Objective(Node loss, List<Node> params, Node curvatureLoss) {
    public Objective {
        params = List.copyOf(params);
        if (params.isEmpty()) throw new IllegalArgumentException("an objective needs at least one parameter");
        checkScalar("loss", loss);
        checkScalar("curvature loss", curvatureLoss);
        if (curvatureLoss.graph() != loss.graph()) {
            throw new IllegalArgumentException("the curvature loss " + curvatureLoss.describe()
                    + " must be built in the graph of the loss " + loss.describe());
        }
    }

    public static Objective of(Node loss, List<Node> params) {
        return new Objective(loss, params, loss);
    }

    /** The same objective with curvature measured on another loss, typically the model on a smaller sub-batch. */
    public Objective withCurvatureLoss(Node subBatchLoss) {
        return new Objective(loss, params, subBatchLoss);
    }

    private static void checkScalar(String what, Node n) {
        if (n == null) throw new IllegalArgumentException("the " + what + " is missing");
        if (n.shape().numel() != 1) {
            throw new IllegalArgumentException("the " + what + " must be a scalar, got " + n.describe());
        }
    }
}
