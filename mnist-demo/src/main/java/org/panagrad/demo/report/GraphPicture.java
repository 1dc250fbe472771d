package org.panagrad.demo.report;

import java.util.List;

/**
 * A compiled program as a picture, before layout: boxes for instructions (op and shapes, coloured by phase),
 * ellipses for what they read from outside (parameters, inputs, state), edges coloured by the phase of the
 * instruction they feed, the program's outputs marked, and the legend of the phases present.
 * Rendered by {@link GraphSvg} (our own layout) and as Graphviz DOT.
 */
public record GraphPicture(String title, List<Box> boxes, List<Edge> edges, List<Phase> legend) {
    /** A phase: its name and colour. */
    public record Phase(String label, String colour) {}

    /**
     * {@code id} is unique; a leaf has {@code leaf} true and its kind in {@code detail}; an instruction its index,
     * op and shapes. {@code output} marks what the program returns or writes.
     */
    public record Box(String id, boolean leaf, String title, String detail, Phase phase, boolean output) {}

    public record Edge(String from, String to, String colour) {}
}
