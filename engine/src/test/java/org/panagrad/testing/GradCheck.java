package org.panagrad.testing;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.panagrad.testing.Reference.assertClose;
import static org.panagrad.testing.Reference.dot;
import static org.panagrad.testing.Reference.eval;

/**
 * Checks an output's derivative rules in float64 against central finite differences, as JAX's check_grads:
 * the JVP along random directions, the VJP element by element, the adjoint identity
 * &lt;jvp(u), w&gt; = &lt;u, vjp(w)&gt;, and (order 2) the same for the VJP graph itself.
 */
public final class GradCheck {
    private static final double H = 1e-5;
    private static final double RTOL = 1e-6;
    private static final double ATOL = 1e-8;

    private GradCheck() {}

    public static void check(String what, Node y, Node[] xs, Map<Node, double[]> feed, Random rnd, int order) {
        Graph g = y.graph();
        Node[] us = new Node[xs.length];
        Map<Node, double[]> withDirections = new HashMap<>(feed);
        double[][] u = new double[xs.length][];
        for (int k = 0; k < xs.length; k++) {
            us[k] = g.input(uniqueName(g, "u"), xs[k].shape().dims());
            u[k] = Reference.random(rnd, xs[k].shape().numel(), -1, 1);
            withDirections.put(us[k], u[k]);
        }
        Node w = g.input(uniqueName(g, "w"), y.shape().dims());
        double[] wv = Reference.random(rnd, y.shape().numel(), -1, 1);
        withDirections.put(w, wv);

        // JVP against a central difference along u.
        Node tangent = Autodiff.jvp(new Node[] {y}, xs, us)[0];
        double[] jvp = eval(tangent, withDirections);
        double[] fd = Reference.directional(y, feed, xs, u, H);
        assertClose(what + ": jvp", fd, jvp, RTOL, ATOL);

        // VJP against finite differences of <w, y>, one element at a time.
        Node[] vjp = Autodiff.vjp(y, w, xs);
        double sumAdjoint = 0;
        for (int k = 0; k < xs.length; k++) {
            double[] got = eval(vjp[k], withDirections);
            double[] expected = new double[got.length];
            for (int e = 0; e < expected.length; e++) {
                double[][] basis = new double[xs.length][];
                for (int j = 0; j < xs.length; j++) basis[j] = new double[xs[j].shape().numel()];
                basis[k][e] = 1;
                expected[e] = dot(wv, Reference.directional(y, feed, xs, basis, H));
            }
            assertClose(what + ": vjp for " + xs[k].describe(), expected, got, RTOL, ATOL);
            sumAdjoint += dot(u[k], got);
        }
        double lhs = dot(jvp, wv);
        if (Math.abs(lhs - sumAdjoint) > 1e-9 * (1 + Math.abs(lhs))) {
            throw new AssertionError(what + ": adjoint identity <jvp(u), w> = " + lhs + " but <u, vjp(w)> = " + sumAdjoint);
        }

        if (order >= 2) {
            // The VJP graph is itself differentiable: check s(x) = sum_k <vjp_k(x), r_k> the same way.
            Node s = null;
            for (int k = 0; k < xs.length; k++) {
                Node r = g.input(uniqueName(g, "r"), xs[k].shape().dims());
                withDirections.put(r, Reference.random(rnd, xs[k].shape().numel(), -1, 1));
                Node term = Ops.sum(Ops.mul(vjp[k], r));
                s = s == null ? term : Ops.add(s, term);
            }
            check(what + " (second order)", s, xs, withDirections, rnd, order - 1);
        }
    }

    private static String uniqueName(Graph g, String prefix) {
        return prefix + "_" + g.size();
    }
}
