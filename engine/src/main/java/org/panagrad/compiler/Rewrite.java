package org.panagrad.compiler;

import org.panagrad.graph.Node;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The walk every rewriting pass shares: visit the nodes the outputs depend on in topological order, rebuild a
 * node when its inputs were replaced, and let the pass's rule replace it in turn.
 */
final class Rewrite {
    private Rewrite() {}

    interface Rule {
        /** The replacement of {@code rebuilt} (original with rewritten inputs), or rebuilt itself. */
        Node apply(Node original, Node rebuilt);
    }

    static List<Node> apply(List<Node> outputs, Rule rule) {
        BitSet reachable = reachable(outputs);
        Map<Node, Node> replaced = new HashMap<>();
        List<Node> all = outputs.get(0).graph().nodes();
        for (int id = reachable.nextSetBit(0); id >= 0; id = reachable.nextSetBit(id + 1)) {
            Node n = all.get(id);
            Node[] ins = new Node[n.arity()];
            boolean changed = false;
            for (int i = 0; i < ins.length; i++) {
                ins[i] = replaced.getOrDefault(n.input(i), n.input(i));
                changed |= ins[i] != n.input(i);
            }
            Node rebuilt = changed ? n.graph().node(n.op(), n.shape(), n.dtype(), ins) : n;
            Node result = rule.apply(n, rebuilt);
            if (result != n) replaced.put(n, result);
        }
        List<Node> result = new ArrayList<>(outputs.size());
        for (Node o : outputs) result.add(replaced.getOrDefault(o, o));
        return result;
    }

    /** Ids of the nodes the outputs depend on, themselves included. */
    static BitSet reachable(List<Node> outputs) {
        BitSet seen = new BitSet();
        int max = 0;
        for (Node o : outputs) {
            seen.set(o.id());
            max = Math.max(max, o.id());
        }
        List<Node> all = outputs.get(0).graph().nodes();
        for (int id = max; id >= 0; id--) {
            if (!seen.get(id)) continue;
            Node n = all.get(id);
            for (int i = 0; i < n.arity(); i++) seen.set(n.input(i).id());
        }
        return seen;
    }

    /** How many times each reachable node is read by another reachable node, by id. */
    static int[] useCounts(List<Node> outputs) {
        BitSet reachable = reachable(outputs);
        List<Node> all = outputs.get(0).graph().nodes();
        int[] uses = new int[all.size()];
        for (int id = reachable.nextSetBit(0); id >= 0; id = reachable.nextSetBit(id + 1)) {
            Node n = all.get(id);
            for (int i = 0; i < n.arity(); i++) uses[n.input(i).id()]++;
        }
        for (Node o : outputs) uses[o.id()]++;
        return uses;
    }
}
