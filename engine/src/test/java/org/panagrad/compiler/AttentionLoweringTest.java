package org.panagrad.compiler;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.ops.Attention;
import org.panagrad.ops.AttentionGrad;
import org.panagrad.ops.AttentionGradVjp;
import org.panagrad.ops.AttentionMask;
import org.panagrad.ops.Ops;
import org.panagrad.ops.Softmax;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.testing.Reference;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A fused attention and its fused backward stay one instruction each at head dim >= 16 and become the composed ops
 * at head dim < 16 (unless the lowerings are off), the forward's and backward's probabilities then one softmax; the
 * second order likewise, without ever running its composed form when fused (lowered or not). Every program, lowered or not, equals
 * the float64 reference.
 */
class AttentionLoweringTest {
    @Test
    void aForwardProgramAtHeadDim16KeepsTheFusedInstruction() {
        Case c = new Case(new int[] {2, 2, 17, 16}, AttentionMask.NONE, 0);
        assertEquals(1, c.count(Compiler.Options.ALL, Attention.class));
    }

    @Test
    void aHeadDimBelow16IsComposedUnlessLoweringIsOff() {
        for (int d : new int[] {1, 3, 8, 15}) {
            Case c = new Case(new int[] {2, 3, 17, d}, AttentionMask.causalMask(), 0);
            assertEquals(0, c.count(Compiler.Options.ALL, Attention.class), "d = " + d);
            assertEquals(1, c.count(Compiler.Options.ALL, Softmax.class), "d = " + d);
            assertEquals(1, c.count(Compiler.Options.UNLOWERED, Attention.class), "d = " + d);
        }
    }

    @Test
    void aDifferentiatedAttentionAtHeadDim8IsComposedThroughoutWithOneSoftmax() {
        Case c = new Case(new int[] {2, 2, 17, 8}, AttentionMask.causalMask(), 1);
        assertEquals(0, c.count(Compiler.Options.ALL, Attention.class));
        assertEquals(0, c.count(Compiler.Options.ALL, AttentionGrad.class));
        assertEquals(1, c.count(Compiler.Options.ALL, Softmax.class), "the forward's and the backward's P merged");
        assertEquals(1, c.count(Compiler.Options.UNLOWERED, Attention.class));
        assertEquals(1, c.count(Compiler.Options.UNLOWERED, AttentionGrad.class));
    }

    @Test
    void aDifferentiatedAttentionAtHeadDim16StaysFusedBothWays() {
        Case c = new Case(new int[] {2, 2, 17, 16}, AttentionMask.NONE, 1);
        assertEquals(1, c.count(Compiler.Options.ALL, Attention.class));
        assertEquals(1, c.count(Compiler.Options.ALL, AttentionGrad.class));
        assertEquals(0, c.count(Compiler.Options.ALL, Softmax.class));
    }

    @Test
    void theSecondOrderAtHeadDim16IsOneFusedInstructionAndNeverRunsItsComposedForm() {
        for (AttentionMask mask : new AttentionMask[] {AttentionMask.NONE, AttentionMask.causalMask()}) {
            Case c = new Case(new int[] {2, 2, 17, 16}, mask, 2);
            assertEquals(1, c.count(Compiler.Options.ALL, AttentionGradVjp.class));
            assertEquals(0, c.count(Compiler.Options.ALL, Softmax.class), "no composed probabilities");
        }
    }

    @Test
    void forwardOverReverseAtHeadDim16RunsTheSameFusedSecondOrder() {
        for (AttentionMask mask : new AttentionMask[] {AttentionMask.NONE, AttentionMask.causalMask()}) {
            Case c = new Case(new int[] {2, 2, 17, 16}, mask, 3);
            assertEquals(1, c.count(Compiler.Options.ALL, AttentionGradVjp.class));
            assertEquals(0, c.count(Compiler.Options.ALL, Softmax.class), "no composed probabilities");
        }
    }

    @Test
    void theSecondOrderAtHeadDim8IsComposed() {
        Case c = new Case(new int[] {2, 2, 17, 8}, AttentionMask.causalMask(), 2);
        assertEquals(0, c.count(Compiler.Options.ALL, AttentionGradVjp.class));
        assertEquals(1, c.count(Compiler.Options.ALL, Softmax.class), "one P for the forward, backward and second order");
        assertEquals(1, c.count(Compiler.Options.UNLOWERED, AttentionGradVjp.class));
        assertEquals(0, c.count(Compiler.Options.UNLOWERED, Softmax.class), "unlowered, the kernel runs without its composed value");
    }

    /**
     * An attention of random q, k, v; from order 1 also the gradients of sum(y * r) for q, k and v; at order 2 instead
     * the gradients of those gradients' inner product with random u (reverse over reverse, an HVP's shape); at order
     * 3 the tangent of those gradients along u (forward over reverse).
     */
    private static final class Case {
        final List<Node> inputs = new ArrayList<>(), outputs = new ArrayList<>();

        Case(int[] dims, AttentionMask mask, int order) {
            Graph g = new Graph();
            Node q = g.input("q", dims), k = g.input("k", dims), v = g.input("v", dims);
            Node y = Ops.fusedAttention(q, k, v, mask);
            inputs.addAll(List.of(q, k, v));
            outputs.add(y);
            if (order == 0) return;
            Node r = g.input("r", y.shape().dims());
            inputs.add(r);
            Node[] grads = Autodiff.grad(Ops.sum(Ops.mul(y, r)), q, k, v);
            if (order == 1) {
                outputs.addAll(List.of(grads));
                return;
            }
            Node inner = null;
            Node[] us = new Node[grads.length];
            for (int i = 0; i < grads.length; i++) {
                Node u = us[i] = g.input("u" + i, dims);
                inputs.add(u);
                Node term = Ops.sum(Ops.mul(grads[i], u));
                inner = inner == null ? term : Ops.add(inner, term);
            }
            outputs.addAll(List.of(order == 2 ? Autodiff.grad(inner, q, k, v) : Autodiff.jvp(grads, new Node[] {q, k, v}, us)));
        }

        /** Compiles with {@code options}, checks every output against float64, counts the instructions of the op. */
        int count(Compiler.Options options, Class<? extends Op> op) {
            Program p = Compiler.compile(new ParameterStore(), outputs, options);
            Map<Node, double[]> feed = Reference.feed(new Random(3), inputs, -2, 2);
            for (Node in : inputs) p.set(in, Reference.toFloat(feed.get(in)));
            p.run();
            Map<Node, double[]> want = Reference.evaluate(outputs, feed);
            for (Node o : outputs) {
                Reference.assertClose(options + " output " + o.describe(), want.get(o), Reference.toDouble(p.get(o)), 1e-4, 1e-5);
            }
            return (int) p.instructionNodes().stream().filter(n -> op.isInstance(n.op())).count();
        }
    }
}
