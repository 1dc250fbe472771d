package org.panagrad.compiler;

import org.panagrad.graph.DType;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Common-subexpression elimination: two nodes with equal ops, shapes and the same inputs become one.
 * Reverse-over-reverse and forward-over-reverse both rebuild forward quantities (softmax of the logits,
 * masks), which this merges. Leaves carry unique ids in their ops, so they never merge.
 */
final class CommonSubexpressions {
    private CommonSubexpressions() {}

    private record Key(Op op, Shape shape, DType dtype, List<Integer> inputs) {}

    static List<Node> run(List<Node> outputs) {
        Map<Key, Node> canonical = new HashMap<>();
        return Rewrite.apply(outputs, (original, n) -> {
            Integer[] ids = new Integer[n.arity()];
            for (int i = 0; i < ids.length; i++) ids[i] = n.input(i).id();
            return canonical.computeIfAbsent(new Key(n.op(), n.shape(), n.dtype(), List.of(ids)), k -> n);
        });
    }
}
