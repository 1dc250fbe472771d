package org.panagrad.compiler;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.ChannelDots;
import org.panagrad.ops.Ops;
import org.panagrad.ops.fused.MaskedChannelDots;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Batch norm's backward in training runs as two passes over the activations: one pass for the per-channel sums
 * (channel_dots) and one for the input gradient, the cotangent's and the batch statistics' affine maps summed
 * (channel_affine_pair), against the float64 reference of the unfused graph.
 */
class BatchNormBackwardFusionTest {
    @Test
    void theInputGradientIsOnePassAfterOneReduction() {
        Graph g = new Graph();
        Node x = g.input("x", 4, 3, 5, 7), w = g.input("w", 3), b = g.input("b", 3), c = g.input("c", 4, 3, 5, 7);
        Node y = Ops.batchNorm(x, w, b, 1e-5);
        Node loss = Ops.sum(Ops.mul(c, Ops.relu(y)));
        List<Node> outputs = new ArrayList<>(List.of(loss));
        outputs.addAll(List.of(Autodiff.grad(loss, x, w, b)));

        Random rnd = new Random(7);
        Map<Node, double[]> feed = new HashMap<>();
        for (Node n : List.of(x, w, b, c)) {
            double[] v = Reference.random(rnd, n.shape().numel(), -1, 1);
            for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] + (n == x ? 3 : 0));
            feed.put(n, v);
        }
        Program p = Compiler.compile(new ParameterStore(), outputs);
        feed.forEach((n, v) -> p.set(n, Reference.toFloat(v)));
        p.run();

        int full = x.shape().numel();
        List<String> passes = p.instructionNodes().stream()
                .filter(n -> n.shape().numel() == full || n.op() instanceof ChannelDots || n.op() instanceof MaskedChannelDots)
                .map(n -> n.op().name()).toList();
        // The ReLU's mask rides along (BatchNormReluFusion): still one pass each.
        assertEquals(1, passes.stream().filter(n -> n.endsWith("channel_affine_pair")).count(), passes.toString());
        assertEquals(1, passes.stream().filter(n -> n.endsWith("channel_dots")).count(), passes.toString());
        System.out.println("full-size instructions of batch norm's forward and backward: " + passes);
        for (Node o : outputs) {
            Reference.assertClose("batch norm backward " + o.describe(), ReferenceInterpreter.evaluate(o, feed),
                    Reference.toDouble(p.get(o)), 1e-4, 1e-5);
        }
    }
}
