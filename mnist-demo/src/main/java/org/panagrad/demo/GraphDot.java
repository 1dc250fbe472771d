package org.panagrad.demo;

import org.panagrad.demo.report.GraphPicture;

import java.util.HashMap;
import java.util.Map;

/**
 * A {@link GraphPicture} as Graphviz DOT: boxes for instructions, labelled with their op and shapes and coloured
 * by phase; ellipses for what they read, each on the rank of its first reader (not all in a top row, which made
 * the picture far wider than a screen); program outputs with a double border; a legend. An edge takes the colour
 * of the phase of the instruction it feeds, so the backward pass reads as red arrows leaving the blue forward pass.
 */
final class GraphDot {
    private GraphDot() {}

    static String render(GraphPicture g) {
        StringBuilder dot = new StringBuilder();
        dot.append("digraph \"").append(escape(g.title())).append("\" {\n");
        dot.append("  rankdir=TB;\n  labelloc=t;\n  label=\"").append(escape(g.title())).append("\";\n");
        dot.append("  graph [ranksep=0.3, nodesep=0.25, fontname=\"Helvetica\", fontsize=12];\n");
        dot.append("  node [fontname=\"Helvetica\", fontsize=10, margin=\"0.08,0.03\"];\n  edge [arrowsize=0.6];\n");
        Map<String, String> firstReader = new HashMap<>();
        for (GraphPicture.Edge e : g.edges()) firstReader.putIfAbsent(e.from(), e.to());
        for (GraphPicture.Box b : g.boxes()) {
            if (b.leaf()) {
                dot.append("  ").append(b.id()).append(" [shape=ellipse, color=\"#7f7f7f\", label=\"")
                        .append(escape(b.title())).append("\\n").append(escape(b.detail())).append("\"];\n");
            } else {
                String c = b.phase().colour();
                dot.append("  ").append(b.id()).append(" [shape=box, style=\"rounded,filled\", fillcolor=\"").append(c)
                        .append("20\", color=\"").append(c).append("\"").append(b.output() ? ", peripheries=2, penwidth=1.5" : "")
                        .append(", label=\"").append(escape(b.title())).append("\\n").append(escape(b.detail()))
                        .append(b.output() ? "\\n(output)" : "").append("\"];\n");
            }
        }
        for (GraphPicture.Edge e : g.edges()) {
            dot.append("  ").append(e.from()).append(" -> ").append(e.to()).append(" [color=\"").append(e.colour()).append("\"];\n");
        }
        // Each leaf beside the instruction that first reads it.
        for (GraphPicture.Box b : g.boxes()) {
            if (b.leaf() && firstReader.containsKey(b.id())) {
                dot.append("  { rank=same; ").append(b.id()).append("; ").append(firstReader.get(b.id())).append("; }\n");
            }
        }
        dot.append("  subgraph cluster_legend {\n    label=\"legend\"; fontsize=10; color=\"#bbbbbb\";\n");
        int k = 0;
        for (GraphPicture.Phase p : g.legend()) {
            dot.append("    legend").append(k++).append(" [shape=box, style=\"rounded,filled\", fillcolor=\"").append(p.colour())
                    .append("20\", color=\"").append(p.colour()).append("\", label=\"").append(escape(p.label())).append("\"];\n");
        }
        dot.append("    legend_leaf [shape=ellipse, color=\"#7f7f7f\", label=\"parameter / input / state\"];\n");
        dot.append("    legend_out [shape=box, peripheries=2, label=\"program output\"];\n  }\n");
        dot.append("}\n");
        return dot.toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
