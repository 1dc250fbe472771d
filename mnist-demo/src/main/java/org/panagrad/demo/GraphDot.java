package org.panagrad.demo;

import org.panagrad.demo.report.GraphPicture;

import java.util.HashMap;
import java.util.Map;

/**
 * A {@link GraphPicture} as Graphviz DOT: boxes for instructions, labelled with their op and shapes and coloured
 * by phase; ellipses for what they read, each just above its first reader (not all in a top row, which made the
 * picture 2,520 pixels wide); program outputs with a double border; a legend. An edge takes the colour
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
        // Each leaf one rank above the instruction that first reads it, not in a row of its own at the top: an
        // invisible edge from an instruction that reader also reads puts it there.
        Map<String, String> lastComputedInput = new HashMap<>();
        java.util.Set<String> leaves = new java.util.HashSet<>();
        for (GraphPicture.Box b : g.boxes()) if (b.leaf()) leaves.add(b.id());
        for (GraphPicture.Edge e : g.edges()) if (!leaves.contains(e.from())) lastComputedInput.put(e.to(), e.from());
        for (String leaf : leaves) {
            String above = lastComputedInput.get(firstReader.get(leaf));
            if (above != null) dot.append("  ").append(above).append(" -> ").append(leaf).append(" [style=invis];\n");
        }
        // The legend: one small table.
        dot.append("  legend [shape=plaintext, fontsize=9, label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"2\">");
        for (GraphPicture.Phase p : g.legend()) {
            dot.append("<tr><td bgcolor=\"").append(p.colour()).append("20\" color=\"").append(p.colour()).append("\">")
                    .append(escapeHtml(p.label())).append("</td></tr>");
        }
        dot.append("<tr><td>ellipse: parameter, input, state</td></tr><tr><td border=\"3\">output</td></tr></table>>];\n");
        dot.append("}\n");
        return dot.toString();
    }

    private static String escapeHtml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
