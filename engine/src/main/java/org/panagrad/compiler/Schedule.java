package org.panagrad.compiler;

import org.panagrad.graph.Node;
import org.panagrad.graph.View;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The order instructions run in, which is also dead-code elimination: only nodes the outputs need are
 * scheduled. Node ids are already topological. A side effect (an optimizer update, which overwrites a
 * parameter and its state) runs as soon as its inputs exist and every other reader of what it overwrites has run:
 * then a layer's gradient dies at its update, early in the backward pass, instead of living to the end. The
 * readers of a view of what it overwrites (a reshaped weight) count as readers of it.
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
        Map<Node, Integer> position = new HashMap<>();
        Map<Node, Integer> lastReader = new HashMap<>();
        for (int i = 0; i < pure.size(); i++) {
            Node n = pure.get(i);
            position.put(n, i);
            for (int k = 0; k < n.arity(); k++) lastReader.put(n.input(k), i);
        }
        // Reading a view reads its source: an update must also wait for the readers of its parameter's views
        // (a reshaped weight), which read the parameter's memory in place.
        for (int i = pure.size() - 1; i >= 0; i--) {
            Node n = pure.get(i);
            View v = n.op().view(n);
            if (v != null && lastReader.containsKey(n)) lastReader.merge(n.input(v.input()), lastReader.get(n), Math::max);
        }
        // after.get(i): the effects that run right after pure step i (-1: before every pure step).
        Map<Integer, List<Node>> after = new HashMap<>();
        for (Node e : effects) {
            int at = -1;
            for (int k : e.op().overwrittenInputs()) at = Math.max(at, lastReader.getOrDefault(e.input(k), -1));
            for (int k = 0; k < e.arity(); k++) at = Math.max(at, position.getOrDefault(e.input(k), -1));
            after.computeIfAbsent(at, x -> new ArrayList<>()).add(e);
        }
        List<Node> schedule = new ArrayList<>(pure.size() + effects.size());
        schedule.addAll(after.getOrDefault(-1, List.of()));
        for (int i = 0; i < pure.size(); i++) {
            schedule.add(pure.get(i));
            schedule.addAll(after.getOrDefault(i, List.of()));
        }
        return schedule;
    }
}
