package org.panagrad.compiler;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Algebraic simplification removes times-one, plus-zero and times-zero, and keeps the values. */
class SimplifyTest {
    @Test
    void identitiesDisappearAndZerosFold() {
        Graph g = new Graph();
        Node x = g.input("x", 2, 3);
        Node one = g.fill(1, Shape.of(2, 3)), zero = g.fill(0, Shape.of(2, 3));
        Node y = Ops.tanh(Ops.neg(Ops.neg(Ops.scale(Ops.div(Ops.sub(Ops.add(Ops.mul(x, one), zero), zero), one), 1))));
        Node z = Ops.add(Ops.mul(Ops.exp(x), zero), Ops.scale(Ops.scale(x, 2), 3));
        Program simplified = Compiler.compile(new ParameterStore(), List.of(y, z));
        Program plain = Compiler.compile(new ParameterStore(), List.of(y, z), Compiler.Options.NONE);
        // What remains: tanh(x) and 6x.
        assertEquals(List.of("tanh", "scale"),
                simplified.instructionNodes().stream().map(n -> n.op().name()).toList());
        float[] xs = {-1, 0, 0.5f, 2, -3, 1};
        for (Program p : List.of(simplified, plain)) {
            p.set(x, xs);
            p.run();
        }
        assertArrayEquals(plain.get(y), simplified.get(y), 1e-6f);
        assertArrayEquals(plain.get(z), simplified.get(z), 1e-6f);
        assertEquals(6f, simplified.get(z)[3] / 2, 1e-6f);
    }

    @Test
    void anExpandedOperandIsReadUnexpandedAtAnyRank() {
        // The JVP of a per-channel bias add expands the bias's tangent to the activation's shape; the add reads
        // it unexpanded, as it broadcasts by itself.
        Graph g = new Graph();
        Node x = g.input("x", 2, 3, 4, 5), b = g.input("b", 3, 1, 1), tb = g.input("tb", 3, 1, 1);
        Node y = Ops.tanh(Ops.add(x, b));
        Node tangent = org.panagrad.autodiff.Autodiff.jvp(new Node[] {y}, new Node[] {b}, new Node[] {tb})[0];
        Program p = Compiler.compile(new ParameterStore(), List.of(tangent));
        assertEquals(List.of(), p.instructionNodes().stream().filter(n -> n.op().name().equals("expand")).toList());
        Program plain = Compiler.compile(new ParameterStore(), List.of(tangent), Compiler.Options.NONE);
        assertEquals(1, plain.instructionNodes().stream().filter(n -> n.op().name().equals("expand")).count());
        java.util.Random rnd = new java.util.Random(3);
        for (Program q : List.of(p, plain)) {
            q.set(x, org.panagrad.testing.Reference.toFloat(org.panagrad.testing.Reference.random(new java.util.Random(1), 120, -1, 1)));
            q.set(b, new float[] {0.5f, -0.5f, 1f});
            q.set(tb, new float[] {1f, 2f, 3f});
            q.run();
        }
        assertArrayEquals(plain.get(tangent), p.get(tangent), 1e-6f);
    }

    @Test
    void theGradientOfSlicesSideBySideIsOneConcatenation() {
        // x [3, 4, 5] split into three along axis 0 (as vit's q, k and v), each part used: x's gradient is the sum of
        // three pads; simplified, one concat of the parts' gradients. Two parts covering [1, 3) of axis 1 leave one pad.
        Graph g = new Graph();
        Node x = g.input("x", 3, 4, 5);
        Node last = Ops.slice(x, 0, 2, 3);
        Node loss = Ops.sum(Ops.add(Ops.add(Ops.tanh(Ops.slice(x, 0, 0, 1)), Ops.exp(Ops.slice(x, 0, 1, 2))), Ops.mul(last, last)));
        Node gx = org.panagrad.autodiff.Autodiff.grad(loss, x)[0];
        Node y = g.input("y", 2, 6);
        Node inner = Ops.sum(Ops.add(Ops.tanh(Ops.slice(y, 1, 1, 2)), Ops.exp(Ops.slice(y, 1, 2, 3))));
        Node gy = org.panagrad.autodiff.Autodiff.grad(inner, y)[0];
        Program p = Compiler.compile(new ParameterStore(), List.of(gx, gy));
        Program plain = Compiler.compile(new ParameterStore(), List.of(gx, gy), Compiler.Options.NONE);
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertEquals(2, ops.stream().filter(o -> o.equals("concat")).count(), ops.toString());
        assertEquals(1, ops.stream().filter(o -> o.equals("pad")).count(), ops.toString());
        assertEquals(5, plain.instructionNodes().stream().filter(n -> n.op().name().equals("pad")).count());
        float[] xs = org.panagrad.testing.Reference.toFloat(org.panagrad.testing.Reference.random(new java.util.Random(2), 60, -1, 1));
        float[] ys = org.panagrad.testing.Reference.toFloat(org.panagrad.testing.Reference.random(new java.util.Random(3), 12, -1, 1));
        for (Program q : List.of(p, plain)) {
            q.set(x, xs);
            q.set(y, ys);
            q.run();
        }
        assertArrayEquals(plain.get(gx), p.get(gx), 1e-6f);
        assertArrayEquals(plain.get(gy), p.get(gy), 1e-6f);
        assertEquals(1f - (float) Math.pow(Math.tanh(xs[0]), 2), p.get(gx)[0], 1e-5f);
        assertEquals(2 * xs[59], p.get(gx)[59], 1e-6f);
        assertEquals(0f, p.get(gy)[0], 0f);
        assertEquals((float) Math.exp(ys[8]), p.get(gy)[8], 1e-5f);
    }
}
