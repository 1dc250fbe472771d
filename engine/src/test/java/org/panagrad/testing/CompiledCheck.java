package org.panagrad.testing;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.DType;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * An op's float32 kernels against its float64 reference: the output, a VJP, a JVP and both HVPs of a random
 * scalar function of it, compiled with and without the compiler's rewrites, each compared element by element
 * with the reference interpreter on the same (float-rounded) inputs.
 */
public final class CompiledCheck {
    /** float32 kernels round each step to 6e-8 and the transcendental ones err by a few ulp; HVPs chain several. */
    private static final double RTOL = 1e-4, ATOL = 1e-6, SCALE_TOL = 1e-5;

    private CompiledCheck() {}

    public static void check(String what, Node y, Node[] xs, Map<Node, double[]> feed, Random rnd) {
        Graph g = y.graph();
        Map<Node, double[]> values = new HashMap<>(feed);
        Node w = GradCheck.direction(g, "cw", y, rnd, values), c = GradCheck.direction(g, "cc", y, rnd, values);
        Node[] us = new Node[xs.length], vs = new Node[xs.length];
        for (int k = 0; k < xs.length; k++) {
            us[k] = GradCheck.direction(g, "cu", xs[k], rnd, values);
            vs[k] = GradCheck.direction(g, "cv", xs[k], rnd, values);
        }
        values.replaceAll((n, v) -> Reference.toDouble(Reference.toFloat(v))); // the inputs the program sees
        List<Node> outputs = new ArrayList<>(List.of(y));
        if (xs.length > 0) {
            Node f = Ops.add(Ops.sum(Ops.mul(w, y)), Ops.scale(Ops.sum(Ops.mul(c, Ops.mul(y, y))), 0.5));
            outputs.addAll(List.of(Autodiff.vjp(y, w, xs)));
            outputs.add(Autodiff.jvp(new Node[] {y}, xs, us)[0]);
            outputs.addAll(List.of(Autodiff.hvpReverseOverReverse(f, xs, vs)));
            outputs.addAll(List.of(Autodiff.hvpForwardOverReverse(f, xs, vs)));
        }
        Map<Node, double[]> expected = Reference.evaluate(outputs, values);
        for (Compiler.Options options : List.of(Compiler.Options.ALL, Compiler.Options.NONE)) {
            Program p = Compiler.compile(new ParameterStore(), outputs, options);
            values.forEach((n, v) -> {
                if (n.dtype() == DType.LABELS) p.setLabels(n, toInts(v));
                else p.set(n, Reference.toFloat(v));
            });
            p.run();
            for (int i = 0; i < outputs.size(); i++) {
                Node o = outputs.get(i);
                assertCloseOrBothNaN(what + " compiled (" + (options == Compiler.Options.ALL ? "all passes" : "no passes")
                        + "), output " + i + " " + o.describe(), expected.get(o), Reference.toDouble(p.get(o)));
            }
        }
    }

    private static void assertCloseOrBothNaN(String what, double[] expected, double[] actual) {
        double[] e = expected.clone(), a = actual.clone();
        for (int i = 0; i < e.length; i++) {
            if (Double.isNaN(e[i]) && Double.isNaN(a[i])) e[i] = a[i] = 0;
        }
        Reference.assertClose(what, e, a, RTOL, ATOL, SCALE_TOL);
    }

    private static int[] toInts(double[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (int) v[i];
        return r;
    }
}
