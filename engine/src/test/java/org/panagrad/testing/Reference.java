package org.panagrad.testing;

import org.panagrad.graph.DType;
import org.panagrad.graph.Input;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ReferenceInterpreter;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Test helpers around the float64 reference interpreter: random feeds and central finite differences. */
public final class Reference {
    private Reference() {}

    public static double[] random(Random rnd, int n, double lo, double hi) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * rnd.nextDouble();
        return v;
    }

    public static double[] randomLabels(Random rnd, int n, int classes) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextInt(classes);
        return v;
    }

    /** Random values for every leaf in the list: labels get classes, floats get values in [lo, hi]. */
    public static Map<Node, double[]> feed(Random rnd, List<Node> leaves, double lo, double hi) {
        Map<Node, double[]> feed = new HashMap<>();
        for (Node leaf : leaves) {
            int n = leaf.shape().numel();
            if (leaf.dtype() == DType.LABELS) {
                feed.put(leaf, randomLabels(rnd, n, Input.classesOf(leaf)));
            } else {
                feed.put(leaf, random(rnd, n, lo, hi));
            }
        }
        return feed;
    }

    public static double[] eval(Node y, Map<Node, double[]> feed) {
        return ReferenceInterpreter.evaluate(y, feed);
    }

    /** The values of several outputs (and everything they depend on), in one pass. */
    public static Map<Node, double[]> evaluate(List<Node> outputs, Map<Node, double[]> feed) {
        return ReferenceInterpreter.evaluate(outputs, feed);
    }

    /** Central difference of y along direction u of the leaves xs: (y(x + h u) - y(x - h u)) / 2h. */
    public static double[] directional(Node y, Map<Node, double[]> feed, Node[] xs, double[][] u, double h) {
        double[] plus = eval(y, shifted(feed, xs, u, h));
        double[] minus = eval(y, shifted(feed, xs, u, -h));
        double[] d = new double[plus.length];
        for (int i = 0; i < d.length; i++) d[i] = (plus[i] - minus[i]) / (2 * h);
        return d;
    }

    private static Map<Node, double[]> shifted(Map<Node, double[]> feed, Node[] xs, double[][] u, double h) {
        Map<Node, double[]> f = new HashMap<>(feed);
        for (int k = 0; k < xs.length; k++) {
            double[] x = feed.get(xs[k]).clone();
            for (int i = 0; i < x.length; i++) x[i] += h * u[k][i];
            f.put(xs[k], x);
        }
        return f;
    }

    public static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    public static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    public static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** Asserts |actual_i - expected_i| <= atol + rtol |expected_i| for every i: each element on its own scale. */
    public static void assertClose(String what, double[] expected, double[] actual, double rtol, double atol) {
        assertClose(what, expected, actual, rtol, atol, 0);
    }

    /**
     * Asserts |actual_i - expected_i| <= atol + rtol |expected_i| + scaleTol max|expected|, naming the first
     * element that differs. The last term is for errors that grow with the whole vector rather than with the
     * element, as float32 rounding in sums that cancel and finite-difference truncation do; keep it well below
     * rtol, so that small entries are not judged on the largest entry's scale.
     */
    public static void assertClose(String what, double[] expected, double[] actual, double rtol, double atol, double scaleTol) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": lengths " + expected.length + " and " + actual.length + " differ");
        }
        double floor = atol + scaleTol * maxAbs(expected);
        for (int i = 0; i < expected.length; i++) {
            double tol = floor + rtol * Math.abs(expected[i]);
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]
                        + " (tolerance " + tol + ", largest expected magnitude " + maxAbs(expected) + ")");
            }
        }
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    public static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }
}
