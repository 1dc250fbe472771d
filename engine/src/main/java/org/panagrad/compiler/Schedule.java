package org.panagrad.compiler;

import org.panagrad.graph.Node;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The order instructions run in, which is also dead-code elimination: only nodes the outputs need are
 * scheduled. Node ids are already topological; side effects (optimizer updates) go last, after every
 * instruction that reads the values they overwrite.
 */
final class Schedule {
    private Schedule() {}

    static List<Node> of(List<Node> outputs) {
        BitSet reachable = Rewrite.reachable(outputs);
        List<Node> all = outputs.get(0).graph().nodes();
        List<Node> pure = new ArrayList<>(), effects = new ArrayList<>();
        for (int id = reachable.nextSetBit(0); id >= 0; id = reachable.nextSetBit(id + 1)) {
            Node n = all.get(id);
            (n.op().hasSideEffects() ? effects : pure).add(n);
        }
        pure.addAll(effects);
        return pure;
    }
}
