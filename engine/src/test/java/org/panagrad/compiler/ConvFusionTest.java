package org.panagrad.compiler;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.testing.Reference.assertClose;

/**
 * conv2d + bias + ReLU compiles to one convolution whose GEMM starts from the bias and clamps in its epilogue,
 * in a forward pass and in a gradient program, and both still match the reference.
 */
class ConvFusionTest {
    @Test
    void biasAndReluFuseIntoTheConvolution() {
        Graph g = new Graph();
        Node x = g.input("x", 3, 2, 9, 8), w = g.input("w", 5, 2, 3, 3), b = g.input("b", 5), w2 = g.input("w2", 4, 5, 3, 3);
        Node h = Ops.relu(Ops.conv2d(x, w, b, new int[] {1}, new int[] {1}, new int[] {1}, 1));
        Node y = Ops.conv2d(Ops.maxPool2d(h, 2), w2, null, new int[] {2}, new int[] {1}, new int[] {1}, 1);
        Node loss = Ops.sum(Ops.mul(y, y));
        Node[] grads = Autodiff.grad(loss, w, b, w2);
        List<Node> outputs = List.of(y, grads[0], grads[1], grads[2]);
        Program p = Compiler.compile(new ParameterStore(), outputs);
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertTrue(ops.contains("conv2d+bias+relu") && !ops.contains("relu"), ops.toString());

        Random rnd = new Random(7);
        Map<Node, double[]> feed = Reference.feed(rnd, List.of(x, w, b, w2), -1, 1);
        Map<Node, double[]> expected = ReferenceInterpreter.evaluate(outputs, feed);
        feed.forEach((n, a) -> p.set(n, Reference.toFloat(a)));
        p.run();
        for (Node o : outputs) assertClose(o.toString(), expected.get(o), Reference.toDouble(p.get(o)), 1e-4, 1e-5);
    }
}
