package org.panagrad.testing;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.panagrad.testing.Reference.assertClose;
import static org.panagrad.testing.Reference.dot;
import static org.panagrad.testing.Reference.eval;

/**
 * Checks an output's derivative rules in float64 against central finite differences, as JAX's
 * {@code check_grads(order=2, modes=["fwd", "rev"])} and PyTorch's gradcheck and gradgradcheck do:
 * <ul>
 * <li>the JVP along random directions u against (y(x + hu) - y(x - hu)) / 2h;</li>
 * <li>the VJP of a random cotangent w against the same differences, through &lt;w, dy(u)&gt; = &lt;u, vjp(w)&gt;,
 * and element by element for small inputs;</li>
 * <li>the adjoint identity &lt;jvp(u), w&gt; = &lt;u, vjp(w)&gt; between the two rules;</li>
 * <li>(order 2) the Hessian-vector product of the random scalar function f = &lt;w, y&gt; + &lt;c, y²&gt; / 2, in both
 * modes (reverse over reverse, forward over reverse), against central differences of f's float64 gradient;</li>
 * <li>(order 2) all of the above again for the VJP graph itself, s(x) = &lt;vjp(x), r&gt;: the derivative rules'
 * own derivatives.</li>
 * </ul>
 */
public final class GradCheck {
    private static final double H = 1e-5;
    /**
     * Central differences in float64 err by about h^2 |y'''| + eps |y| / h, 1e-10 of the values' scale: each
     * element is judged on its own magnitude, plus a floor well below it for those that cancel.
     */
    private static final double RTOL = 1e-6, ATOL = 1e-8, SCALE_TOL = 1e-7;
    private static final int DIRECTIONS = 2;
    /** Inputs of at most this many elements also get their VJP checked one element at a time. */
    private static final int ELEMENTWISE_LIMIT = 48;

    private GradCheck() {}

    public static void check(String what, Node y, Node[] xs, Map<Node, double[]> feed, Random rnd, int order) {
        Map<Node, double[]> values = new HashMap<>(feed);
        Node w = direction(y.graph(), "w", y, rnd, values);
        Node[] vjp = Autodiff.vjp(y, w, xs);
        firstOrder(what, y, xs, vjp, w, values, rnd);
        if (order < 2) return;
        hessianVectorProducts(what, y, xs, values, rnd);
        // The VJP graph is itself differentiable: check s(x) = sum_k <vjp_k(x), r_k> the same way.
        Node s = null;
        for (Node v : vjp) {
            Node term = Ops.sum(Ops.mul(v, direction(y.graph(), "r", v, rnd, values)));
            s = s == null ? term : Ops.add(s, term);
        }
        check(what + " (its vjp)", s, xs, values, rnd, order - 1);
    }

    private static void firstOrder(String what, Node y, Node[] xs, Node[] vjp, Node w, Map<Node, double[]> values, Random rnd) {
        double[] wv = values.get(w);
        List<Node> outputs = new ArrayList<>(List.of(vjp));
        for (int d = 0; d < DIRECTIONS; d++) {
            Node[] us = new Node[xs.length];
            double[][] u = new double[xs.length][];
            for (int k = 0; k < xs.length; k++) {
                us[k] = direction(y.graph(), "u", xs[k], rnd, values);
                u[k] = values.get(us[k]);
            }
            Node tangent = Autodiff.jvp(new Node[] {y}, xs, us)[0];
            outputs.add(tangent);
            Map<Node, double[]> got = Reference.evaluate(outputs, values);
            outputs.remove(tangent);
            double[] jvp = got.get(tangent);
            double[] fd = Reference.directional(y, values, xs, u, H);
            assertClose(what + ": jvp along direction " + d, fd, jvp, RTOL, ATOL, SCALE_TOL);

            double fdW = dot(wv, fd), jvpW = dot(wv, jvp), uVjp = 0, magnitude = dotAbs(wv, fd);
            for (int k = 0; k < xs.length; k++) {
                uVjp += dot(u[k], got.get(vjp[k]));
                magnitude += dotAbs(u[k], got.get(vjp[k]));
            }
            if (!(Math.abs(fdW - uVjp) <= ATOL + RTOL * magnitude)) {
                throw new AssertionError(what + ": vjp: <u, vjp(w)> = " + uVjp + " but central differences give <w, dy(u)> = " + fdW);
            }
            if (!(Math.abs(jvpW - uVjp) <= 1e-12 * (1 + magnitude))) {
                throw new AssertionError(what + ": adjoint identity: <jvp(u), w> = " + jvpW + " but <u, vjp(w)> = " + uVjp);
            }
        }
        Map<Node, double[]> got = Reference.evaluate(List.of(vjp), values);
        for (int k = 0; k < xs.length; k++) {
            int n = xs[k].shape().numel();
            if (n > ELEMENTWISE_LIMIT) continue;
            double[] expected = new double[n];
            for (int e = 0; e < n; e++) {
                double[][] basis = new double[xs.length][];
                for (int j = 0; j < xs.length; j++) basis[j] = new double[xs[j].shape().numel()];
                basis[k][e] = 1;
                expected[e] = dot(wv, Reference.directional(y, values, xs, basis, H));
            }
            assertClose(what + ": vjp for " + xs[k].describe() + " element by element", expected, got.get(vjp[k]), RTOL, ATOL, SCALE_TOL);
        }
    }

    /** H v of f = <w, y> + <c, y^2> / 2 in both modes against central differences of f's gradient along v. */
    private static void hessianVectorProducts(String what, Node y, Node[] xs, Map<Node, double[]> values, Random rnd) {
        Graph g = y.graph();
        Node w = direction(g, "w", y, rnd, values), c = direction(g, "c", y, rnd, values);
        Node f = Ops.add(Ops.sum(Ops.mul(w, y)), Ops.scale(Ops.sum(Ops.mul(c, Ops.mul(y, y))), 0.5));
        Node[] vs = new Node[xs.length];
        double[][] v = new double[xs.length][];
        for (int k = 0; k < xs.length; k++) {
            vs[k] = direction(g, "v", xs[k], rnd, values);
            v[k] = values.get(vs[k]);
        }
        Node[] grad = Autodiff.grad(f, xs);
        Node[] reverse = Autodiff.hvpReverseOverReverse(f, xs, vs), forward = Autodiff.hvpForwardOverReverse(f, xs, vs);
        List<Node> outputs = new ArrayList<>(List.of(reverse));
        outputs.addAll(List.of(forward));
        Map<Node, double[]> got = Reference.evaluate(outputs, values);
        for (int k = 0; k < xs.length; k++) {
            double[] fd = Reference.directional(grad[k], values, xs, v, H);
            assertClose(what + ": hvp (reverse over reverse) for " + xs[k].describe(), fd, got.get(reverse[k]), RTOL, ATOL, SCALE_TOL);
            assertClose(what + ": hvp (forward over reverse) for " + xs[k].describe(), fd, got.get(forward[k]), RTOL, ATOL, SCALE_TOL);
        }
    }

    /** A new input shaped like {@code like}, with random values in [-1, 1] added to values. */
    static Node direction(Graph g, String prefix, Node like, Random rnd, Map<Node, double[]> values) {
        Node d = g.input(prefix + "_" + g.size(), like.shape().dims());
        values.put(d, Reference.random(rnd, like.shape().numel(), -1, 1));
        return d;
    }

    private static double dotAbs(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += Math.abs(a[i] * b[i]);
        return s;
    }
}
