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

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Batch norm with the ReLU around it, as resnet8 has it: after a batch norm alone (bn1), after a batch norm plus
 * an identity shortcut, and after a pair of batch norms (bn2 plus a downsampled shortcut). The fused program
 * (ReLU in the normalising pass; bn1's ReLU mask in its backward passes) gives the same bits as the same
 * graph compiled with those fusions blocked (the pre-activations and masked cotangents requested as outputs, so
 * they must be stored), and matches the float64 reference, gradient and Hessian-vector product alike.
 */
class BatchNormReluFusionTest {
    private final Graph g = new Graph();
    private final Node x1 = g.input("x1", 4, 3, 5, 7), x2 = g.input("x2", 4, 3, 5, 7), r = g.input("r", 4, 3, 5, 7);
    private final Node x3 = g.input("x3", 4, 3, 5, 7), x4 = g.input("x4", 4, 3, 5, 7);
    private final Node[] w = {g.input("w1", 3), g.input("w2", 3), g.input("w3", 3), g.input("w4", 3)};
    private final Node[] b = {g.input("b1", 3), g.input("b2", 3), g.input("b3", 3), g.input("b4", 3)};
    private final Node c = g.input("c", 4, 3, 5, 7);
    private final Node pre1 = Ops.batchNorm(x1, w[0], b[0], 1e-5);
    private final Node pre2 = Ops.add(Ops.batchNorm(x2, w[1], b[1], 1e-5), r);
    private final Node pre3 = Ops.add(Ops.batchNorm(x3, w[2], b[2], 1e-5), Ops.batchNorm(x4, w[3], b[3], 1e-5));
    private final Node loss = Ops.sum(Ops.mul(c, Ops.add(Ops.add(Ops.relu(pre1), Ops.mul(c, Ops.relu(pre2))), Ops.relu(pre3))));
    private final List<Node> wrt = List.of(x1, x2, r, x3, x4, w[0], w[1], w[2], w[3], b[0], b[1], b[2], b[3]);

    @Test
    void fusedPassesGiveTheSameBitsAsTheUnfusedOnes() {
        List<Node> all = new ArrayList<>(wrt);
        all.addAll(List.of(pre1, pre2, pre3));
        Node[] grads = Autodiff.grad(loss, all.toArray(new Node[0]));
        List<Node> outputs = new ArrayList<>(List.of(loss));
        outputs.addAll(List.of(grads).subList(0, wrt.size()));
        List<Node> blocked = new ArrayList<>(outputs);
        blocked.addAll(List.of(pre1, pre2, pre3));
        blocked.addAll(List.of(grads).subList(wrt.size(), grads.length)); // the masked cotangents

        Map<Node, double[]> feed = feed();
        Program fused = run(outputs, feed), unfused = run(blocked, feed);
        List<String> ops = fused.instructionNodes().stream().map(n -> n.op().name()).toList();
        List<String> before = unfused.instructionNodes().stream().map(n -> n.op().name()).toList();
        System.out.println("fused: " + ops);
        System.out.println("blocked: " + before);
        for (String name : List.of("channel_affine+relu", "channel_affine+add+relu", "channel_affine_pair+relu")) {
            assertEquals(1, ops.stream().filter(name::equals).count(), name + " in " + ops);
            assertEquals(0, before.stream().filter(name::equals).count(), name + " in " + before);
        }
        // bn1's mask goes into its two backward passes; the other two masks have more readers (the shortcut's
        // gradient; two batch norms) and stay a pass of their own.
        assertEquals(0, ops.stream().filter("relu"::equals).count(), ops.toString());
        assertEquals(2, ops.stream().filter("relu_backward"::equals).count(), ops.toString());
        assertEquals(1, ops.stream().filter("relu_backward+channel_dots"::equals).count(), ops.toString());
        assertEquals(1, ops.stream().filter("relu_backward+channel_affine_pair"::equals).count(), ops.toString());
        assertEquals(3, before.stream().filter("relu_backward"::equals).count(), before.toString());
        for (Node o : outputs) {
            float[] a = fused.get(o), e = unfused.get(o);
            for (int i = 0; i < a.length; i++) {
                if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(e[i])) {
                    throw new AssertionError(o.describe() + " element " + i + ": fused " + a[i] + ", unfused " + e[i]);
                }
            }
            Reference.assertClose("fused batch norm + relu " + o.describe(), ReferenceInterpreter.evaluate(o, feed),
                    Reference.toDouble(a), 1e-4, 1e-5);
        }
    }

    @Test
    void hessianVectorProductThroughTheFusedPassesMatchesTheReference() {
        Node[] vs = new Node[wrt.size()];
        Node[] grads = Autodiff.grad(loss, wrt.toArray(new Node[0]));
        Node dot = null;
        for (int k = 0; k < vs.length; k++) {
            vs[k] = g.input("v" + k, wrt.get(k).shape().dims());
            Node term = Ops.sum(Ops.mul(grads[k], vs[k]));
            dot = dot == null ? term : Ops.add(dot, term);
        }
        List<Node> outputs = List.of(Autodiff.grad(dot, wrt.toArray(new Node[0])));
        Map<Node, double[]> feed = feed();
        Random rnd = new Random(3);
        for (Node v : vs) feed.put(v, floats(Reference.random(rnd, v.shape().numel(), -1, 1)));
        Program p = run(outputs, feed);
        System.out.println("hvp: " + p.instructionNodes().stream().map(n -> n.op().name()).filter(n -> n.contains("relu")).toList());
        for (Node o : outputs) {
            Reference.assertClose("hvp through batch norm + relu " + o.describe(), ReferenceInterpreter.evaluate(o, feed),
                    Reference.toDouble(p.get(o)), 2e-3, 2e-4);
        }
    }

    private Map<Node, double[]> feed() {
        Random rnd = new Random(11);
        Map<Node, double[]> feed = new HashMap<>();
        for (Node n : List.of(x1, x2, r, x3, x4, c)) feed.put(n, floats(Reference.random(rnd, n.shape().numel(), -1, 1)));
        for (Node n : w) feed.put(n, floats(Reference.random(rnd, 3, 0.5, 1.5)));
        for (Node n : b) feed.put(n, floats(Reference.random(rnd, 3, -0.5, 0.5)));
        return feed;
    }

    private static double[] floats(double[] v) {
        for (int i = 0; i < v.length; i++) v[i] = (float) v[i];
        return v;
    }

    private static Program run(List<Node> outputs, Map<Node, double[]> feed) {
        Program p = Compiler.compile(new ParameterStore(), outputs);
        feed.forEach((n, v) -> p.set(n, Reference.toFloat(v)));
        p.run();
        return p;
    }
}
