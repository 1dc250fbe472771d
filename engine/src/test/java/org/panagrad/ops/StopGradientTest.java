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

/** stop_gradient passes its value and blocks its derivatives, to every order (its gradcheck exemption). */
class StopGradientTest {
    @Test
    void valueThroughDerivativesBlocked() {
        Graph g = new Graph();
        Node x = g.input("x", 3, 1, 2);
        Node y = Ops.sum(Ops.mul(Ops.mul(x, x), StopGradient.of(x))); // sum(x^2 * c) with c = x held constant
        Node grad = Autodiff.grad(y, x)[0];
        Node v = g.input("v", 3, 1, 2);
        Node hvp = Autodiff.hvpForwardOverReverse(y, new Node[] {x}, new Node[] {v})[0];
        double[] xs = {1, -2, 0.5, 3, -1, 2}, vs = {1, 1, 1, 1, 1, 1};
        Map<Node, double[]> feed = Map.of(x, xs, v, vs);
        double[] expectedGrad = new double[6], expectedHvp = new double[6];
        double total = 0;
        for (int i = 0; i < 6; i++) {
            total += xs[i] * xs[i] * xs[i];
            expectedGrad[i] = 2 * xs[i] * xs[i]; // d/dx (x^2 c) = 2 x c, not 3 x^2
            expectedHvp[i] = 2 * xs[i] * vs[i];  // d/dx (2 x c) = 2 c
        }
        assertArrayEquals(new double[] {total}, Reference.eval(y, feed), 1e-12);
        assertArrayEquals(expectedGrad, Reference.eval(grad, feed), 1e-12);
        assertArrayEquals(expectedHvp, Reference.eval(hvp, feed), 1e-12);

        Program p = Compiler.compile(new ParameterStore(), List.of(y, grad, hvp), Compiler.Options.NONE);
        feed.forEach((n, a) -> p.set(n, Reference.toFloat(a)));
        p.run();
        assertArrayEquals(Reference.toFloat(expectedGrad), p.get(grad), 1e-5f);
        assertArrayEquals(Reference.toFloat(expectedHvp), p.get(hvp), 1e-5f);
    }
}
