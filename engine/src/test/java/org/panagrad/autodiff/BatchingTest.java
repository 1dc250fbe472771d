package org.panagrad.autodiff;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.Ops;
import org.panagrad.testing.Reference;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A stacked graph computes, in entry j, what the original computes from entry j of the stacks: checked in float64
 * entry by entry, through ops with batching rules (products with the stack on either side, broadcasting
 * binaries of different ranks, sums, expands, reshapes, unary ops) and without (softmax: computed per entry).
 */
class BatchingTest {
    @Test
    void eachEntryOfAStackedGraphIsTheGraphOfThatEntry() {
        Graph g = new Graph();
        Node x = g.input("x", 5, 4), w = g.input("w", 4, 3), b = g.input("b", 3), u = g.input("u", 2, 5, 3);
        Node z = Ops.add(MatMul.of(x, w, false, false), b);                 // [5,3] + [3]
        Node h = Ops.mul(Ops.tanh(z), Ops.softmax(z));                        // softmax has no rule
        Node wt = MatMul.of(x, h, true, false);                               // x^T h: [4, 3]
        Node batched = MatMul.of(u, Ops.tanh(h), true, false);                // [2,3,5] x [5,3]: a batch axis already
        Node s = Ops.sum(Ops.mul(h, Ops.sum(z, 1, true)), 0, false);          // [5,3] * [5,1], summed to [3]
        Node r = Ops.sum(org.panagrad.ops.Reshape.of(wt, Shape.of(12)));      // a scalar
        Node[] outputs = {h, wt, batched, s, r, x};
        Node[] singles = {w, b};
        int k = 3;
        Node[] stacks = {g.input("W", 3, 4, 3), g.input("B", 3, 3)};
        Node[] stacked = Batching.stacked(outputs, singles, stacks);
        for (int i = 0; i < outputs.length; i++) assertEquals(outputs[i].shape().withLeading(k), stacked[i].shape());

        Random rnd = new Random(7);
        Map<Node, double[]> feed = new HashMap<>();
        for (Node leaf : List.of(x, u, stacks[0], stacks[1])) feed.put(leaf, Reference.random(rnd, leaf.shape().numel(), -1, 1));
        Map<Node, double[]> all = Reference.evaluate(List.of(stacked), feed);
        for (int j = 0; j < k; j++) {
            Map<Node, double[]> entry = new HashMap<>(feed);
            for (int i = 0; i < singles.length; i++) {
                int n = singles[i].shape().numel();
                double[] e = new double[n];
                System.arraycopy(feed.get(stacks[i]), j * n, e, 0, n);
                entry.put(singles[i], e);
            }
            Map<Node, double[]> one = Reference.evaluate(List.of(outputs), entry);
            for (int i = 0; i < outputs.length; i++) {
                int n = outputs[i].shape().numel();
                double[] got = new double[n];
                System.arraycopy(all.get(stacked[i]), j * n, got, 0, n);
                Reference.assertClose("output " + i + " entry " + j, one.get(outputs[i]), got, 1e-12, 1e-12);
            }
        }
    }

    @Test
    void aStackOfTheWrongShapeFailsNamingBoth() {
        Graph g = new Graph();
        Node w = g.input("w", 4, 3);
        Node y = Ops.tanh(w);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Batching.stacked(new Node[] {y}, new Node[] {w}, new Node[] {g.input("W", 3, 3, 4)}));
        assertEquals(true, e.getMessage().contains("W") && e.getMessage().contains("[3x4x3]"), e.getMessage());
    }
}
