package org.panagrad.autodiff;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;

/** Which nodes lie on a path from some source to some sink: the only ones a derivative has to visit. */
final class Reachability {
    private Reachability() {}

    static boolean[] between(Graph graph, Node[] sources, Node[] sinks) {
        int size = graph.size();
        boolean[] fromSource = new boolean[size];
        for (Node s : sources) fromSource[s.id()] = true;
        for (int id = 0; id < size; id++) {
            Node n = graph.nodes().get(id);
            for (int i = 0; i < n.arity() && !fromSource[id]; i++) fromSource[id] = fromSource[n.input(i).id()];
        }
        boolean[] toSink = new boolean[size];
        for (Node s : sinks) toSink[s.id()] = true;
        for (int id = size - 1; id >= 0; id--) {
            if (!toSink[id]) continue;
            Node n = graph.nodes().get(id);
            for (int i = 0; i < n.arity(); i++) toSink[n.input(i).id()] = true;
        }
        boolean[] both = new boolean[size];
        for (int id = 0; id < size; id++) both[id] = fromSource[id] && toSink[id];
        return both;
    }
}
