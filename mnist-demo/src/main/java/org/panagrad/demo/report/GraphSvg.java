package org.panagrad.demo.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lays a {@link GraphPicture} out top to bottom in layers and draws it as SVG. An instruction's layer is one
 * below its deepest input; a leaf sits one layer above its first reader rather than in a row of its own at the
 * top, which is what made the Graphviz drawing of a training step 2,520 pixels wide. Within a layer, boxes are
 * ordered by the mean position of what they read (one sweep down), then centred.
 */
public final class GraphSvg {
    private static final double ROW = 64, GAP = 18, BOX_H = 36, CHAR = 6.3, MARGIN = 20, LEGEND = 40;

    private GraphSvg() {}

    public static String render(GraphPicture g, String cssClass) {
        Map<String, GraphPicture.Box> byId = new LinkedHashMap<>();
        for (GraphPicture.Box b : g.boxes()) byId.put(b.id(), b);
        Map<String, List<String>> inputs = new HashMap<>(), readers = new HashMap<>();
        for (GraphPicture.Edge e : g.edges()) {
            inputs.computeIfAbsent(e.to(), k -> new ArrayList<>()).add(e.from());
            readers.computeIfAbsent(e.from(), k -> new ArrayList<>()).add(e.to());
        }
        // Layers: instructions (in topological order) one below their deepest input; leaves above their first reader.
        Map<String, Integer> layer = new HashMap<>();
        for (GraphPicture.Box b : g.boxes()) {
            if (b.leaf()) continue;
            int l = 0;
            for (String in : inputs.getOrDefault(b.id(), List.of())) {
                if (!byId.get(in).leaf()) l = Math.max(l, layer.get(in) + 1);
            }
            layer.put(b.id(), l + 1);
        }
        for (GraphPicture.Box b : g.boxes()) {
            if (!b.leaf()) continue;
            int first = readers.getOrDefault(b.id(), List.of()).stream().mapToInt(r -> layer.getOrDefault(r, 1)).min().orElse(1);
            layer.put(b.id(), first - 1);
        }
        int layers = layer.values().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        List<List<GraphPicture.Box>> rows = new ArrayList<>();
        for (int i = 0; i < layers; i++) rows.add(new ArrayList<>());
        for (GraphPicture.Box b : g.boxes()) rows.get(layer.get(b.id())).add(b);

        Map<String, Double> x = new HashMap<>(), w = new HashMap<>();
        for (GraphPicture.Box b : g.boxes()) {
            int chars = Math.max(b.title().length(), b.detail().length());
            w.put(b.id(), Math.max(60, chars * CHAR + 16));
        }
        // Instructions first, each under the mean x of the instructions it reads (program order breaks ties)...
        for (List<GraphPicture.Box> row : rows) {
            List<GraphPicture.Box> ops = new ArrayList<>();
            for (GraphPicture.Box b : row) if (!b.leaf()) ops.add(b);
            Map<String, Double> wanted = new HashMap<>();
            for (GraphPicture.Box b : ops) wanted.put(b.id(), mean(inputs.getOrDefault(b.id(), List.of()), x, 0));
            spread(ops, wanted, w, x);
        }
        // ...then each leaf above its readers, and every row pushed apart where boxes overlap.
        double width = 0;
        for (List<GraphPicture.Box> row : rows) {
            Map<String, Double> wanted = new HashMap<>();
            for (GraphPicture.Box b : row) {
                wanted.put(b.id(), b.leaf() ? mean(readers.getOrDefault(b.id(), List.of()), x, 0) : x.get(b.id()));
            }
            List<GraphPicture.Box> all = new ArrayList<>(row);
            if (all.isEmpty()) continue;
            spread(all, wanted, w, x);
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (GraphPicture.Box b : all) {
                lo = Math.min(lo, x.get(b.id()) - w.get(b.id()) / 2);
                hi = Math.max(hi, x.get(b.id()) + w.get(b.id()) / 2);
            }
            width = Math.max(width, 2 * Math.max(Math.abs(lo), Math.abs(hi)));
        }
        double total = Math.max(width, 560) + 2 * MARGIN, height = LEGEND + layers * ROW + MARGIN + 24;
        double cx = total / 2;
        Svg svg = new Svg(total, height);
        svg.raw("<defs>");
        for (GraphPicture.Phase p : g.legend()) {
            svg.raw("<marker id=\"arrow-" + p.colour().substring(1) + "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\""
                    + " markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\""
                    + p.colour() + "\"/></marker>");
        }
        svg.raw("</defs>\n");
        svg.text(cx, 16, g.title(), 13, "middle", "font-weight=\"bold\"");
        legend(svg, g, 26);

        java.util.function.Function<String, Double> top = id -> LEGEND + 24 + layer.get(id) * ROW;
        for (GraphPicture.Edge e : g.edges()) {
            double x1 = cx + x.get(e.from()), y1 = top.apply(e.from()) + BOX_H, x2 = cx + x.get(e.to()), y2 = top.apply(e.to());
            double bend = Math.max(20, (y2 - y1) / 2);
            String d = "M" + Svg.num(x1) + "," + Svg.num(y1) + " C" + Svg.num(x1) + "," + Svg.num(y1 + bend) + " "
                    + Svg.num(x2) + "," + Svg.num(y2 - bend) + " " + Svg.num(x2) + "," + Svg.num(y2 - 1);
            svg.path(d, e.colour(), 1.3, "class=\"edge\" marker-end=\"url(#arrow-" + e.colour().substring(1) + ")\"");
        }
        for (GraphPicture.Box b : g.boxes()) {
            double bw = w.get(b.id()), bx = cx + x.get(b.id()) - bw / 2, by = top.apply(b.id());
            String colour = b.phase() == null ? "#7f7f7f" : b.phase().colour();
            if (b.leaf()) {
                svg.raw("<ellipse class=\"leaf\" cx=\"" + Svg.num(bx + bw / 2) + "\" cy=\"" + Svg.num(by + BOX_H / 2) + "\" rx=\""
                        + Svg.num(bw / 2) + "\" ry=\"" + Svg.num(BOX_H / 2) + "\" fill=\"#f4f4f4\" stroke=\"" + colour + "\"/>\n");
            } else {
                String stroke = b.output() ? " stroke-width=\"3\"" : " stroke-width=\"1.2\"";
                svg.rect(bx, by, bw, BOX_H, colour + "22", "class=\"op\" rx=\"7\" stroke=\"" + colour + "\"" + stroke,
                        b.title() + "\n" + b.detail() + (b.phase() != null ? "\n" + b.phase().label() : ""));
                if (b.output()) svg.text(bx + bw - 4, by - 3, "output", 9, "end", "fill=\"" + colour + "\" font-weight=\"bold\"");
            }
            svg.text(bx + bw / 2, by + 15, b.title(), 11, "middle", b.leaf() ? null : "font-weight=\"bold\"");
            svg.text(bx + bw / 2, by + 29, b.detail(), 10, "middle", "fill=\"#333\"");
        }
        return svg.render(cssClass, g.title());
    }

    private static double mean(List<String> ids, Map<String, Double> x, double fallback) {
        double s = 0;
        int n = 0;
        for (String id : ids) {
            Double v = x.get(id);
            if (v != null) { s += v; n++; }
        }
        return n == 0 ? fallback : s / n;
    }

    /** Places boxes in the order of their wanted x, as near it as they fit without overlapping, the row centred on its wish. */
    private static void spread(List<GraphPicture.Box> row, Map<String, Double> wanted, Map<String, Double> w, Map<String, Double> x) {
        if (row.isEmpty()) return;
        row.sort(Comparator.comparingDouble(b -> wanted.get(b.id())));
        double[] at = new double[row.size()];
        for (int i = 0; i < at.length; i++) {
            double want = wanted.get(row.get(i).id());
            at[i] = i == 0 ? want : Math.max(want, at[i - 1] + (w.get(row.get(i - 1).id()) + w.get(row.get(i).id())) / 2 + GAP);
        }
        double shift = 0;
        for (int i = 0; i < at.length; i++) shift += wanted.get(row.get(i).id()) - at[i];
        shift /= at.length;
        for (int i = 0; i < at.length; i++) x.put(row.get(i).id(), at[i] + shift);
    }

    private static void legend(Svg svg, GraphPicture g, double y) {
        double x = MARGIN;
        for (GraphPicture.Phase p : g.legend()) {
            svg.line(x, y + 6, x + 22, y + 6, p.colour(), 2, null);
            svg.rect(x + 26, y, 12, 12, p.colour() + "22", "stroke=\"" + p.colour() + "\" rx=\"3\"");
            svg.text(x + 42, y + 10, p.label(), 11, "start", null);
            x += 48 + p.label().length() * 6.5;
        }
        svg.raw("<ellipse cx=\"" + Svg.num(x + 12) + "\" cy=\"" + Svg.num(y + 6) + "\" rx=\"12\" ry=\"6\" fill=\"#f4f4f4\" stroke=\"#7f7f7f\"/>\n");
        svg.text(x + 28, y + 10, "parameter / input / state", 11, "start", null);
        x += 28 + 25 * 6.5;
        svg.rect(x, y, 14, 12, "#fff", "stroke=\"#333\" stroke-width=\"3\" rx=\"3\"");
        svg.text(x + 20, y + 10, "program output", 11, "start", null);
    }
}
