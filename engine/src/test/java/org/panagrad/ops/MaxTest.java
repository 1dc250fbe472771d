package org.panagrad.ops;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.testing.Reference;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * max's derivative at ties, which finite differences cannot check (there is none): the cotangent is split evenly
 * among the tied maxima, as JAX does, in the reference and in compiled programs alike.
 */
class MaxTest {
    @Test
    void theCotangentIsSplitEvenlyAmongTiedMaxima() {
        Graph g = new Graph();
        Node x = g.input("x", 2, 4);
        Node y = Ops.max(x, 1, false); // [2]
        Node w = g.input("w", 2), u = g.input("u", 2, 4);
        Node vjp = Autodiff.vjp(y, w, x)[0];
        Node jvp = Autodiff.jvp(new Node[] {y}, new Node[] {x}, new Node[] {u})[0];
        double[] xs = {1, 3, 3, 2, /* a three-way tie */ 5, 5, -1, 5};
        Map<Node, double[]> feed = Map.of(x, xs, w, new double[] {6, 3}, u, new double[] {1, 2, 4, 8, 1, 2, 4, 8});
        double[] expectedVjp = {0, 3, 3, 0, 1, 1, 0, 1};
        double[] expectedJvp = {(2 + 4) / 2.0, (1 + 2 + 8) / 3.0};
        assertArrayEquals(new double[] {3, 5}, Reference.eval(y, feed));
        assertArrayEquals(expectedVjp, Reference.eval(vjp, feed), 1e-15);
        assertArrayEquals(expectedJvp, Reference.eval(jvp, feed), 1e-15);

        Program p = Compiler.compile(new ParameterStore(), List.of(y, vjp, jvp));
        feed.forEach((n, v) -> p.set(n, Reference.toFloat(v)));
        p.run();
        assertArrayEquals(new float[] {3, 5}, p.get(y));
        assertArrayEquals(Reference.toFloat(expectedVjp), p.get(vjp), 1e-6f);
        assertArrayEquals(Reference.toFloat(expectedJvp), p.get(jvp), 1e-6f);
    }

    @Test
    void maxOfEveryElementAndKeepDims() {
        Graph g = new Graph();
        Node x = g.input("x", 2, 1, 3);
        Node all = Ops.max(x), keep = Ops.max(x, new int[] {0, 2}, true);
        assertArrayEquals(new int[0], all.shape().dims());
        assertArrayEquals(new int[] {1, 1, 1}, keep.shape().dims());
        Map<Node, double[]> feed = Map.of(x, new double[] {-4, 2, 0.5, 7, -9, 7});
        assertArrayEquals(new double[] {7}, Reference.eval(all, feed));
        assertArrayEquals(new double[] {0, 0, 0, 0.5, 0, 0.5}, Reference.eval(Autodiff.grad(all, x)[0], feed));
    }
}
