package org.panagrad.demo;

import org.panagrad.demo.report.GraphPicture;
import org.panagrad.graph.Node;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns a compiled program into a {@link GraphPicture}: real names, phases, shapes ("scalar", not "[]"), outputs marked. */
final class ProgramPicture {
    private ProgramPicture() {}

    /** {@code tangents} are the inputs of an HVP's vector v (empty for a training step). */
    static GraphPicture of(String title, Program program, Node loss, Set<Node> tangents) {
        CompiledNodes phases = new CompiledNodes(program, loss, tangents);
        Map<Node, String> ids = new HashMap<>();
        for (Node n : program.instructionNodes()) ids.put(n, "i" + ids.size());
        Set<Node> leaves = new LinkedHashSet<>();
        for (Node n : program.instructionNodes()) {
            for (Node in : n.inputs()) if (!ids.containsKey(in)) leaves.add(in);
        }
        Set<Node> outputs = new HashSet<>();
        for (Node out : program.outputs()) outputs.add(program.sourceOf(out));

        List<GraphPicture.Box> boxes = new ArrayList<>();
        int leafCount = 0;
        for (Node leaf : leaves) {
            String id = "l" + leafCount++;
            ids.put(leaf, id);
            boxes.add(new GraphPicture.Box(id, true, CompiledNodes.leafName(leaf),
                    CompiledNodes.leafKind(leaf, tangents) + " " + CompiledNodes.shape(leaf.shape()), null, false));
        }
        EnumSet<CompiledNodes.Phase> used = EnumSet.noneOf(CompiledNodes.Phase.class);
        int index = 0;
        for (Node n : program.instructionNodes()) {
            CompiledNodes.Phase phase = phases.phase(n);
            used.add(phase);
            boolean output = outputs.contains(n) || n.op().hasSideEffects();
            boxes.add(new GraphPicture.Box(ids.get(n), false, index++ + ": " + n.op().name(), CompiledNodes.shapes(n),
                    picture(phase), output));
        }
        List<GraphPicture.Edge> edges = new ArrayList<>();
        for (Node n : program.instructionNodes()) {
            String colour = phases.phase(n).colour;
            for (Node in : new LinkedHashSet<>(n.inputs())) edges.add(new GraphPicture.Edge(ids.get(in), ids.get(n), colour));
        }
        List<GraphPicture.Phase> legend = new ArrayList<>();
        for (CompiledNodes.Phase p : used) legend.add(picture(p));
        return new GraphPicture(title, boxes, edges, legend);
    }

    private static GraphPicture.Phase picture(CompiledNodes.Phase p) {
        return new GraphPicture.Phase(p.label, p.colour);
    }
}
