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
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cross-entropy in PyTorch's [N, C, d] layout with ignore_index, against values PyTorch 1.13 computed in float64:
 * <pre>
 * z = torch.tensor([[[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], [[1.0, 0.0], [-2.0, 3.0], [0.5, -0.5]]],
 *                  dtype=torch.float64, requires_grad=True)
 * torch.nn.functional.cross_entropy(z, torch.tensor([[0, -100], [2, 1]]), ignore_index=-100).backward()
 * torch.nn.functional.cross_entropy(z, torch.tensor([[0, 2], [2, 1]]), ignore_index=0).backward()
 * </pre>
 */
class CrossEntropyTest {
    private static final double[] LOGITS = {0.5, -1.0, 2.0, 0.25, -0.75, 1.5, 1.0, 0.0, -2.0, 3.0, 0.5, -0.5};

    private static void check(int ignoreIndex, int[] labels, double loss, double[] grad) {
        Graph g = new Graph();
        Node z = g.input("z", 2, 3, 2);
        Node y = g.labelsIgnoring("y", 3, ignoreIndex, 2, 2);
        Node l = Ops.crossEntropy(z, y);
        Node dz = Autodiff.grad(l, z)[0];
        double[] labelValues = new double[labels.length];
        for (int i = 0; i < labels.length; i++) labelValues[i] = labels[i];
        Map<Node, double[]> feed = Map.of(z, LOGITS, y, labelValues);
        assertEquals(loss, Reference.eval(l, feed)[0], 1e-14);
        assertArrayEquals(grad, Reference.eval(dz, feed), 1e-14);

        Program p = Compiler.compile(new ParameterStore(), List.of(l, dz));
        p.set(z, Reference.toFloat(LOGITS));
        p.setLabels(y, labels);
        p.run();
        assertEquals(loss, p.scalar(l), 1e-6);
        assertArrayEquals(Reference.toFloat(grad), p.get(dz), 1e-6f);
    }

    @Test
    void ignoredPositionsDoNotCountAsInPyTorch() {
        check(-100, new int[] {0, -100, 2, 1}, 0.9446341857066773, new double[] {-0.2755451693070016, 0.0,
                0.2589885831117141, 0.0, 0.016556586195287507, 0.0, 0.20124963204954194, 0.015366600351001007,
                0.010019629189858006, -0.024686914599434024, -0.2112692612393999, 0.009320314248433024});
    }

    @Test
    void theIgnoreIndexMayBeAClass() {
        check(0, new int[] {0, 2, 2, 1}, 0.4651081367404892, new double[] {0.0, 0.019992598438371423, 0.0,
                0.0697810251607323, 0.0, -0.08977362359910375, 0.20124963204954194, 0.015366600351001007,
                0.010019629189858006, -0.024686914599434024, -0.2112692612393999, 0.009320314248433024});
    }

    @Test
    void theLabelCheckAcceptsTheIgnoreIndexAndNothingElseOutOfRange() {
        Graph g = new Graph();
        Node z = g.input("z", 2, 3);
        Node y = g.labelsIgnoring("y", 3, -100, 2);
        Program p = Compiler.compile(new ParameterStore(), List.of(Ops.crossEntropy(z, y)));
        p.setLabels(y, new int[] {-100, 2});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.setLabels(y, new int[] {-1, 2}));
        assertTrue(e.getMessage().contains("label -1") && e.getMessage().contains("-100"), e.getMessage());
        Node plain = g.labels("t", 2, 3);
        Program q = Compiler.compile(new ParameterStore(), List.of(Ops.crossEntropy(z, plain)));
        assertThrows(IllegalArgumentException.class, () -> q.setLabels(plain, new int[] {-100, 2}));
    }

    @Test
    void classesLastEqualsTheSameLogitsPermutedToClassesFirst() {
        // [N, d, C] with class axis -1 against [N, C, d] with class axis 1: the same loss.
        Graph g = new Graph();
        Node last = g.input("last", 2, 2, 3), first = g.input("first", 2, 3, 2);
        Node y = g.labelsIgnoring("y", 3, -100, 2, 2);
        double[] permuted = new double[12];
        for (int n = 0; n < 2; n++) for (int c = 0; c < 3; c++) for (int d = 0; d < 2; d++) permuted[(n * 2 + d) * 3 + c] = LOGITS[(n * 3 + c) * 2 + d];
        Map<Node, double[]> feed = Map.of(last, permuted, first, LOGITS, y, new double[] {0, -100, 2, 1});
        assertEquals(Reference.eval(Ops.crossEntropy(first, y), feed)[0], Reference.eval(Ops.crossEntropy(last, y, -1), feed)[0], 1e-15);
    }
}
