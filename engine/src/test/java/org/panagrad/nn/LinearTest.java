package org.panagrad.nn;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A Linear layer takes inputs of any rank [..., in], as PyTorch's does, row for row the same as on a matrix. */
class LinearTest {
    @Test
    void anInputOfAnyRankIsTransformedRowByRow() {
        Graph g = new Graph();
        Linear layer = Linear.create(g, "fc", 5, 3);
        Node seq = g.input("seq", 2, 4, 5), rows = g.input("rows", 8, 5), one = g.input("one", 5);
        Node ySeq = Ops.relu(layer.apply(seq)), yRows = Ops.relu(layer.apply(rows)), yOne = layer.apply(one);
        assertEquals(Shape.of(2, 4, 3), ySeq.shape());
        assertEquals(Shape.of(3), yOne.shape());
        ParameterStore store = new ParameterStore();
        layer.initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(1));
        Program p = org.panagrad.compiler.Compiler.compile(store, List.of(ySeq, yRows, yOne));
        float[] x = new float[40];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        p.set(seq, x);
        p.set(rows, x);
        p.set(one, java.util.Arrays.copyOfRange(x, 35, 40));
        p.run();
        assertArrayEquals(p.get(yRows), p.get(ySeq), "the same GEMM over the folded rows, bit for bit");
        float[] last = java.util.Arrays.copyOfRange(p.get(yRows), 21, 24), viaVector = p.get(yOne);
        for (int j = 0; j < 3; j++) assertEquals(Math.max(0, viaVector[j]), last[j], 1e-6f, "the last row as a vector");
        List<String> ops = p.instructionNodes().stream().map(n -> n.op().name()).toList();
        assertEquals(2, ops.stream().filter(o -> o.equals("matmul+bias+relu")).count(), ops.toString());
    }
}
