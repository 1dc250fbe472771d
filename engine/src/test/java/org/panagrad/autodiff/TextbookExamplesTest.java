package org.panagrad.autodiff;

import org.junit.jupiter.api.Test;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The worked examples of computational-graph textbooks, with their exact values, in float64 and compiled. */
class TextbookExamplesTest {

    /** Evaluates f and its gradient at the given scalar inputs, both in the reference and in a program. */
    private static double[][] valueAndGrad(Graph g, Node f, Node[] xs, double[] at) {
        Node[] grads = Autodiff.grad(f, xs);
        Map<Node, double[]> feed = new HashMap<>();
        for (int i = 0; i < xs.length; i++) feed.put(xs[i], new double[] {at[i]});
        List<Node> outs = new ArrayList<>(List.of(f));
        outs.addAll(List.of(grads));
        Map<Node, double[]> ref = ReferenceInterpreter.evaluate(outs, feed);
        double[] r = new double[1 + xs.length];
        for (int i = 0; i < outs.size(); i++) r[i] = ref.get(outs.get(i))[0];

        Program p = Compiler.compile(new ParameterStore(), outs);
        for (int i = 0; i < xs.length; i++) p.set(xs[i], new float[] {(float) at[i]});
        p.run();
        double[] c = new double[1 + xs.length];
        for (int i = 0; i < outs.size(); i++) c[i] = p.scalar(outs.get(i));
        return new double[][] {r, c};
    }

    @Test
    void sumOfAProduct() {
        Graph g = new Graph();
        Node x = g.input("x"), y = g.input("y"), z = g.input("z");
        double[][] r = valueAndGrad(g, Ops.add(x, Ops.mul(y, z)), new Node[] {x, y, z}, new double[] {-2, 5, -4});
        for (double[] v : r) assertArrayEquals(new double[] {-22, 1, -4, 5}, v, 0);
    }

    @Test
    void sumTimesMaximum() {
        Graph g = new Graph();
        Node x = g.input("x"), y = g.input("y"), z = g.input("z");
        double[][] r = valueAndGrad(g, Ops.mul(Ops.add(x, y), Ops.maximum(y, z)), new Node[] {x, y, z}, new double[] {1, 2, 0});
        for (double[] v : r) assertArrayEquals(new double[] {6, 2, 5, 0}, v, 0);
    }

    @Test
    void squaredErrorThroughARelu() {
        Graph g = new Graph();
        Node w = g.input("w"), x = g.input("x");
        Node d = Ops.sub(Ops.relu(Ops.mul(w, x)), g.fill(90, Shape.scalar()));
        double[][] r = valueAndGrad(g, Ops.mul(d, d), new Node[] {w, x}, new double[] {0.5, 200});
        for (double[] v : r) assertArrayEquals(new double[] {100, 4000, 10}, v, 0);
    }

    @Test
    void reluBackwardMasksTheUpstreamGradient() {
        Graph g = new Graph();
        Node x = g.input("x", 4), up = g.input("up", 4);
        Node dx = Autodiff.vjp(Ops.relu(x), up, x)[0];
        Map<Node, double[]> feed = Map.of(x, new double[] {1, -2, 3, -1}, up, new double[] {4, -1, 5, 9});
        assertArrayEquals(new double[] {4, 0, 5, 0}, ReferenceInterpreter.evaluate(dx, feed), 0);
        Program p = Compiler.compile(new ParameterStore(), List.of(dx));
        p.set(x, new float[] {1, -2, 3, -1});
        p.set(up, new float[] {4, -1, 5, 9});
        p.run();
        assertArrayEquals(new float[] {4, 0, 5, 0}, p.get(dx), 0f);
    }

    @Test
    void chainEndingInASigmoid() {
        Graph g = new Graph();
        Node x = g.input("x");
        Node one = g.fill(1, Shape.scalar());
        Node a = Ops.add(x, one), b = Ops.scale(a, 2), c = Ops.neg(b), d = Ops.add(c, one), e = Ops.scale(d, 2), f = Ops.sigmoid(e);
        double s = 1 / (1 + Math.exp(14));
        double expected = -4 * s * (1 - s);
        double[][] r = valueAndGrad(g, f, new Node[] {x}, new double[] {3});
        assertEquals(s, r[0][0], 1e-18);
        assertEquals(expected, r[0][1], 1e-18);
        assertEquals(s, r[1][0], 1e-12);
        assertEquals(expected, r[1][1], 1e-12);
    }
}
