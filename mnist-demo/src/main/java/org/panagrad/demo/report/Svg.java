package org.panagrad.demo.report;

import java.util.Locale;

/**
 * A small SVG writer: elements appended as text, attributes escaped, numbers with two decimals. Charts are
 * drawn here on the server side, so the report needs no script and no library from the network.
 */
public final class Svg {
    private final StringBuilder body = new StringBuilder();
    private final double width, height;

    public Svg(double width, double height) {
        this.width = width;
        this.height = height;
    }

    public static String num(double v) {
        return String.format(Locale.ROOT, "%.2f", v).replaceAll("\\.?0+$", "");
    }

    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    public Svg raw(String s) {
        body.append(s);
        return this;
    }

    public Svg line(double x1, double y1, double x2, double y2, String stroke, double strokeWidth, String extra) {
        body.append("<line x1=\"").append(num(x1)).append("\" y1=\"").append(num(y1)).append("\" x2=\"").append(num(x2))
                .append("\" y2=\"").append(num(y2)).append("\" stroke=\"").append(stroke).append("\" stroke-width=\"")
                .append(num(strokeWidth)).append('"').append(extra == null ? "" : " " + extra).append("/>\n");
        return this;
    }

    public Svg rect(double x, double y, double w, double h, String fill, String extra) {
        body.append("<rect x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" width=\"").append(num(w))
                .append("\" height=\"").append(num(h)).append("\" fill=\"").append(fill).append('"')
                .append(extra == null ? "" : " " + extra).append("/>\n");
        return this;
    }

    /** A rectangle with a tooltip. */
    public Svg rect(double x, double y, double w, double h, String fill, String extra, String title) {
        body.append("<rect x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" width=\"").append(num(w))
                .append("\" height=\"").append(num(h)).append("\" fill=\"").append(fill).append('"')
                .append(extra == null ? "" : " " + extra).append("><title>").append(escape(title)).append("</title></rect>\n");
        return this;
    }

    /** Text; {@code anchor} is start, middle or end. */
    public Svg text(double x, double y, String text, double size, String anchor, String extra) {
        body.append("<text x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" font-size=\"").append(num(size))
                .append("\" text-anchor=\"").append(anchor).append('"').append(extra == null ? "" : " " + extra).append('>')
                .append(escape(text)).append("</text>\n");
        return this;
    }

    public Svg path(String d, String stroke, double strokeWidth, String extra) {
        body.append("<path d=\"").append(d).append("\" fill=\"none\" stroke=\"").append(stroke).append("\" stroke-width=\"")
                .append(num(strokeWidth)).append('"').append(extra == null ? "" : " " + extra).append("/>\n");
        return this;
    }

    public Svg circle(double cx, double cy, double r, String fill, String title) {
        body.append("<circle cx=\"").append(num(cx)).append("\" cy=\"").append(num(cy)).append("\" r=\"").append(num(r))
                .append("\" fill=\"").append(fill).append("\">");
        if (title != null) body.append("<title>").append(escape(title)).append("</title>");
        body.append("</circle>\n");
        return this;
    }

    /** The document, scaling to its container's width up to its natural size; {@code cssClass} marks it for tests. */
    public String render(String cssClass, String label) {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"" + cssClass + "\" role=\"img\" aria-label=\"" + escape(label)
                + "\" viewBox=\"0 0 " + num(width) + " " + num(height) + "\" width=\"" + num(width) + "\" height=\""
                + num(height) + "\" style=\"max-width:100%;height:auto\" font-family=\"Helvetica, Arial, sans-serif\">\n"
                + body + "</svg>\n";
    }
}
