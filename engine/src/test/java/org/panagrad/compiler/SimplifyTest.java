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
}
