package org.panagrad.demo;

import org.panagrad.graph.Node;
import org.panagrad.runtime.Program;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A compiled program as Graphviz DOT: one box per instruction, labelled with its op and shapes and
 * coloured by phase (forward, backward, update); the inputs and parameters it reads as ellipses. An edge
 * takes the colour of the phase of the instruction it feeds, so the backward pass reads as red arrows
 * reaching back into the blue forward pass.
 */
final class GraphDot {
    private GraphDot() {}

    static String render(String title, Program program, Node loss) {
        CompiledNodes phases = new CompiledNodes(program, loss);
        Map<Node, String> ids = new HashMap<>();
        Set<Node> leaves = new LinkedHashSet<>();
        for (Node n : program.instructionNodes()) {
            ids.put(n, "i" + ids.size());
        }
        for (Node n : program.instructionNodes()) {
            for (Node in : n.inputs()) if (!ids.containsKey(in)) leaves.add(in);
        }
        StringBuilder dot = new StringBuilder();
        dot.append("digraph \"").append(escape(title)).append("\" {\n");
        dot.append("  rankdir=TB;\n  labelloc=t;\n  label=\"").append(escape(title)).append("\";\n");
        dot.append("  node [fontname=\"Helvetica\", fontsize=10];\n  edge [arrowsize=0.6];\n");
        for (CompiledNodes.Phase p : CompiledNodes.Phase.values()) {
            dot.append("  // ").append(p.label).append(": ").append(p.colour).append('\n');
        }
        int leafCount = 0;
        for (Node leaf : leaves) {
            String id = "l" + leafCount++;
            ids.put(leaf, id);
            String name = leaf.name() != null ? leaf.name() : leaf.op().name();
            dot.append("  ").append(id).append(" [shape=ellipse, color=\"#7f7f7f\", label=\"")
                    .append(escape(name + " " + leaf.shape())).append("\"];\n");
        }
        int index = 0;
        for (Node n : program.instructionNodes()) {
            CompiledNodes.Phase phase = phases.phase(n);
            dot.append("  ").append(ids.get(n)).append(" [shape=box, style=\"rounded,filled\", fillcolor=\"")
                    .append(phase.colour).append("20\", color=\"").append(phase.colour).append("\", label=\"")
                    .append(index++).append(": ").append(escape(CompiledNodes.label(n))).append("\\n")
                    .append(phase.label).append("\"];\n");
        }
        for (Node n : program.instructionNodes()) {
            CompiledNodes.Phase phase = phases.phase(n);
            for (Node in : n.inputs()) {
                dot.append("  ").append(ids.get(in)).append(" -> ").append(ids.get(n))
                        .append(" [color=\"").append(phase.colour).append("\"];\n");
            }
        }
        dot.append("}\n");
        return dot.toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
