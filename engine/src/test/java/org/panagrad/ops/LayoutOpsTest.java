package org.panagrad.ops;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.testing.GradCheck;
import org.panagrad.testing.Reference;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/** Every layout op and batched matmul against finite differences in float64, to second order (LayoutOpCases). */
class LayoutOpsTest {
    @TestFactory
    Stream<DynamicTest> layoutOpsAgreeWithFiniteDifferencesToSecondOrder() {
        return LayoutOpCases.cases().stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> {
            Random rnd = new Random(k.name().hashCode());
            Graph g = new Graph();
            Node[] xs = k.inputs(g);
            Node y = k.f().apply(xs);
            Map<Node, double[]> feed = Reference.feed(rnd, leaves(g, xs), k.lo(), k.hi());
            GradCheck.check(k.name(), y, xs, feed, rnd, 2);
        }));
    }

    /**
     * The VJP as a function of the inputs and the cotangent w, checked the same way: for an op linear in its
     * inputs the check above never differentiates the adjoint (its VJP does not depend on x), this does: the
     * adjoint's own VJP and JVP (slice's pad, pad's slice, gather's scatter-add and back) meet finite differences.
     */
    @TestFactory
    Stream<DynamicTest> theirVjpsAgreeWithFiniteDifferencesInInputsAndCotangent() {
        return LayoutOpCases.cases().stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> {
            Random rnd = new Random(k.name().hashCode() + 1);
            Graph g = new Graph();
            Node[] xs = k.inputs(g);
            Node y = k.f().apply(xs);
            Node w = g.input("w", y.shape().dims());
            Node[] vjp = org.panagrad.autodiff.Autodiff.vjp(y, w, xs);
            Node[] wrt = java.util.Arrays.copyOf(xs, xs.length + 1);
            wrt[xs.length] = w;
            List<Node> leaves = leaves(g, xs);
            leaves.add(w);
            Map<Node, double[]> feed = Reference.feed(rnd, leaves, k.lo(), k.hi());
            for (int i = 0; i < xs.length; i++) GradCheck.check(k.name() + ": vjp for x" + i, vjp[i], wrt, feed, rnd, 2);
        }));
    }

    /** The float inputs and every integer leaf the case made. */
    private static List<Node> leaves(Graph g, Node[] xs) {
        List<Node> leaves = new ArrayList<>(List.of(xs));
        leaves.addAll(LayoutOpCases.integerLeaves(g));
        return leaves;
    }
}
