package org.panagrad.autodiff;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.ShapeException;
import org.panagrad.ops.KnownHessianLoss;
import org.panagrad.ops.Ops;
import org.panagrad.ops.StopGradient;
import org.panagrad.ops.Tangents;

/**
 * Derivatives as graph transformations. Each returns ordinary nodes of the same graph, built from the ops'
 * own derivative rules, so any result can be differentiated again or compiled like any other node.
 */
public final class Autodiff {
    private Autodiff() {}

    /**
     * Reverse mode: the gradient of the scalar y with respect to each of {@code wrt}, with their shapes.
     * A variable that y does not depend on gets zeros.
     */
    public static Node[] grad(Node y, Node... wrt) {
        if (!y.shape().isScalar()) {
            throw new ShapeException("grad of " + y.describe() + ": the output must be a scalar; use vjp for others");
        }
        return vjp(y, y.graph().fill(1, y.shape()), wrt);
    }

    /** Reverse mode from an output y with cotangent g (of y's shape). */
    public static Node[] vjp(Node y, Node g, Node... wrt) {
        Graph graph = y.graph();
        checkSameShape("vjp cotangent", y, g);
        boolean[] needed = Reachability.between(graph, wrt, new Node[] {y});
        Node[] adjoint = new Node[graph.size()];
        adjoint[y.id()] = g;
        for (int id = y.id(); id >= 0; id--) {
            Node n = graph.nodes().get(id);
            Node a = adjoint[id];
            if (a == null || !needed[id] || n.arity() == 0) continue;
            Node[] contributions = n.op().vjp(n, a);
            for (int i = 0; i < n.arity(); i++) {
                Node in = n.input(i);
                if (contributions[i] != null && needed[in.id()]) {
                    adjoint[in.id()] = Tangents.add(adjoint[in.id()], contributions[i]);
                }
            }
        }
        Node[] result = new Node[wrt.length];
        for (int i = 0; i < wrt.length; i++) {
            Node a = adjoint[wrt[i].id()];
            result[i] = a != null ? a : graph.fill(0, wrt[i].shape());
        }
        return result;
    }

    /**
     * Forward mode: the tangents of {@code outputs} when each of {@code wrt} moves along the matching tangent.
     */
    public static Node[] jvp(Node[] outputs, Node[] wrt, Node[] tangents) {
        if (wrt.length != tangents.length) {
            throw new IllegalArgumentException("jvp: " + wrt.length + " variables but " + tangents.length + " tangents");
        }
        Graph graph = outputs[0].graph();
        for (int i = 0; i < wrt.length; i++) checkSameShape("jvp tangent", wrt[i], tangents[i]);
        int last = 0;
        for (Node o : outputs) last = Math.max(last, o.id());
        boolean[] needed = Reachability.between(graph, wrt, outputs);
        Node[] tangent = new Node[graph.size()];
        for (int i = 0; i < wrt.length; i++) tangent[wrt[i].id()] = tangents[i];
        for (int id = 0; id <= last; id++) {
            Node n = graph.nodes().get(id);
            if (!needed[id] || n.arity() == 0) continue;
            Node[] ins = new Node[n.arity()];
            for (int i = 0; i < ins.length; i++) ins[i] = tangent[n.input(i).id()];
            if (!Tangents.allZero(ins)) tangent[id] = n.op().jvp(n, ins);
        }
        Node[] result = new Node[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            Node t = tangent[outputs[i].id()];
            result[i] = t != null ? t : graph.fill(0, outputs[i].shape());
        }
        return result;
    }

    /** Hessian-vector product by differentiating &lt;grad, v&gt; again (reverse over reverse). */
    public static Node[] hvpReverseOverReverse(Node loss, Node[] params, Node[] v) {
        Node[] g = grad(loss, params);
        Node inner = null;
        for (int i = 0; i < params.length; i++) {
            checkSameShape("hvp vector", params[i], v[i]);
            inner = Tangents.add(inner, Ops.sum(Ops.mul(g[i], v[i])));
        }
        return grad(inner, params);
    }

    /** Hessian-vector product by pushing v forward through the gradient graph (forward over reverse). */
    public static Node[] hvpForwardOverReverse(Node loss, Node[] params, Node[] v) {
        return jvp(grad(loss, params), params, v);
    }

    /**
     * Gauss-Newton-vector product J^T H_L J v, where J is the Jacobian of the loss's prediction (its first
     * input) with respect to the parameters and H_L the loss's Hessian in that prediction. Positive
     * semi-definite whenever H_L is, which is why Hessian-free optimizers prefer it.
     */
    public static Node[] ggnVectorProduct(Node loss, Node[] params, Node[] v) {
        if (!(loss.op() instanceof KnownHessianLoss)) {
            throw new IllegalArgumentException("Gauss-Newton product of " + loss.describe() + ": the loss op "
                    + loss.op().name() + " has no known Hessian (use softmax_cross_entropy or mse_loss)");
        }
        Node prediction = loss.input(0);
        Node jv = jvp(new Node[] {prediction}, params, v)[0];
        Node hjv = StopGradient.of(((KnownHessianLoss) loss.op()).hessianTimes(loss, jv));
        return vjp(prediction, hjv, params);
    }

    private static void checkSameShape(String what, Node expected, Node actual) {
        if (!expected.shape().equals(actual.shape())) {
            throw new ShapeException(what + " " + actual.describe() + " must have the shape of " + expected.describe());
        }
    }
}
