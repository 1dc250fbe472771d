package org.panagrad.autodiff;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.ops.Concat;
import org.panagrad.ops.Expand;
import org.panagrad.ops.Reshape;
import org.panagrad.ops.Slice;

/**
 * vmap over a graph: the outputs' values for k stacked values of some inputs at once. Each node between
 * those inputs and the outputs is rebuilt by its op's batching rule ({@link org.panagrad.graph.Op#batched})
 * on the stacks of its inputs, or, for an op without one, once per entry and concatenated; nodes that do not
 * depend on the stacked inputs are shared by all entries as they are. A Hessian-vector product batched this way
 * turns the product's matrix-matrix steps into ones k times wider (H V for a block V of k vectors).
 */
public final class Batching {
    private Batching() {}

    /**
     * @param outputs nodes computed from {@code singles} (and anything else)
     * @param singles the inputs that vary, each with its stack in {@code stacks} of shape [k] + its shape
     * @return for each output a node of shape [k] + its shape whose entry j is the output computed with entry j
     *         of every stack in place of the singles
     */
    public static Node[] stacked(Node[] outputs, Node[] singles, Node[] stacks) {
        if (singles.length != stacks.length || singles.length == 0) {
            throw new IllegalArgumentException("batching: " + singles.length + " inputs but " + stacks.length + " stacks");
        }
        int k = stacks[0].shape().dim(0);
        for (int i = 0; i < singles.length; i++) {
            if (!stacks[i].shape().equals(singles[i].shape().withLeading(k))) {
                throw new IllegalArgumentException("batching: the stack " + stacks[i].describe() + " of "
                        + singles[i].describe() + " must have the shape " + singles[i].shape().withLeading(k));
            }
        }
        Graph graph = outputs[0].graph();
        int last = 0;
        for (Node o : outputs) last = Math.max(last, o.id());
        boolean[] needed = Reachability.between(graph, singles, outputs);
        Node[] stack = new Node[graph.size()];
        for (int i = 0; i < singles.length; i++) stack[singles[i].id()] = stacks[i];
        for (int id = 0; id <= last; id++) {
            Node n = graph.nodes().get(id);
            if (!needed[id] || n.arity() == 0 || stack[id] != null) continue;
            Node[] ins = new Node[n.arity()];
            boolean[] stacked = new boolean[ins.length];
            boolean any = false;
            for (int i = 0; i < ins.length; i++) {
                Node s = stack[n.input(i).id()];
                stacked[i] = s != null;
                ins[i] = stacked[i] ? s : n.input(i);
                any |= stacked[i];
            }
            if (!any) continue;
            Node b = n.op().batched(n, ins, stacked, k);
            if (b == null) {
                b = entryByEntry(n, ins, stacked, k);
            } else if (!b.shape().equals(n.shape().withLeading(k))) {
                throw new IllegalStateException("the batching rule of " + n.op().name() + " gave " + b.shape()
                        + " for " + n.describe() + " stacked " + k + " times");
            }
            stack[id] = b;
        }
        Node[] result = new Node[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            Node s = stack[outputs[i].id()];
            // An output that does not depend on the stacked inputs is the same for every entry.
            result[i] = s != null ? s : Expand.to(outputs[i], outputs[i].shape().withLeading(k));
        }
        return result;
    }

    /** n computed for each entry from that entry's slice of the stacks, concatenated along a new leading axis. */
    private static Node entryByEntry(Node n, Node[] ins, boolean[] stacked, int k) {
        Shape one = n.shape().withLeading(1);
        Node[] entries = new Node[k];
        for (int j = 0; j < k; j++) {
            Node[] in = ins.clone();
            for (int i = 0; i < in.length; i++) {
                if (stacked[i]) in[i] = Reshape.of(Slice.along(ins[i], 0, j, j + 1, 1), n.input(i).shape());
            }
            entries[j] = Reshape.of(n.graph().node(n.op(), n.shape(), n.dtype(), in), one);
        }
        return Concat.of(0, entries);
    }
}
