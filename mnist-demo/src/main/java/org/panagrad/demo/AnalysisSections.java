package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.panagrad.demo.report.Svg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The report's sections for the analyses that {@code laplace --out-dir RUN} and {@code influence --out-dir RUN} wrote
 * into a run's directory: a table of their JSON results beside their picture, the PNG embedded as a data URI so the
 * page stays one file.
 */
final class AnalysisSections {
    private static final Pattern INFLUENCE = Pattern.compile(Pattern.quote(InfluenceCommand.PREFIX) + "(\\d{1,9})\\.json");

    private AnalysisSections() {}

    /** Whether {@code dir} holds a laplace result. */
    static boolean hasLaplace(Path dir) {
        return Files.isRegularFile(dir.resolve(LaplaceCommand.JSON));
    }

    /** The influence results in {@code dir}, by test image. */
    static List<Path> influenceFiles(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (var entries = Files.list(dir)) {
            entries.filter(p -> INFLUENCE.matcher(p.getFileName().toString()).matches()).forEach(files::add);
        }
        files.sort(Comparator.comparingLong(AnalysisSections::testIndex));
        return files;
    }

    /** The calibration table of MAP and the Laplace predictives, and the reliability diagram. */
    static String laplace(Path dir) throws IOException {
        Path file = dir.resolve(LaplaceCommand.JSON);
        JsonObject j = parse(file, "laplace --json");
        StringBuilder s = new StringBuilder();
        try {
            s.append(String.format(Locale.ROOT, "<p>Laplace approximation (%s, %s) over %,d parameters, fitted on %,d training"
                            + " images; prior precision %s (%s), log marginal likelihood %.2f.</p>\n",
                    Svg.escape(j.get("subset").getAsString()), Svg.escape(j.get("hessian").getAsString()),
                    j.get("parameters").getAsLong(), j.get("train_samples").getAsLong(), Svg.escape(priorPrecision(j)),
                    j.get("prior_precision_tuned").getAsBoolean() ? "tuned" : "given", j.get("log_marginal_likelihood").getAsDouble()));
            s.append("<table class=\"analysis\" data-table=\"laplace\"><thead><tr><th>predictive</th><th>test images</th>"
                    + "<th>accuracy</th><th>NLL</th><th>ECE</th></tr></thead><tbody>\n");
            for (Map.Entry<String, JsonElement> e : j.getAsJsonObject("results").entrySet()) {
                JsonObject c = e.getValue().getAsJsonObject();
                s.append(String.format(Locale.ROOT, "<tr><td>%s</td><td class=\"n\">%d</td><td class=\"n\">%.2f%%</td>"
                                + "<td class=\"n\">%.4f</td><td class=\"n\">%.4f</td></tr>\n", Svg.escape(e.getKey()),
                        c.get("count").getAsInt(), 100 * c.get("accuracy").getAsDouble(), c.get("nll").getAsDouble(),
                        c.get("ece").getAsDouble()));
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not the JSON that laplace --json writes (" + e.getMessage() + ")");
        }
        s.append("</tbody></table>\n");
        return s.append(picture("laplace", dir.resolve(LaplaceCommand.PICTURE), "Reliability diagram")).toString();
    }

    /** For each test image explained: the most helpful and harmful training images, as a table and a picture. */
    static String influence(List<Path> files) throws IOException {
        StringBuilder s = new StringBuilder();
        for (Path file : files) {
            JsonObject j = parse(file, "influence --json");
            try {
                s.append(String.format(Locale.ROOT, "<h3>Test image %d (label %d)</h3>\n<p>%s, damping %s, %,d training images"
                                + " scored.</p>\n", j.get("test_index").getAsInt(), j.get("test_label").getAsInt(),
                        Svg.escape(j.get("detail").getAsString()), j.get("damping").getAsString(), j.get("train_samples").getAsLong()));
                s.append("<table class=\"analysis\" data-table=\"influence\"><thead><tr><th>kind</th><th>training image</th>"
                        + "<th>label</th><th>score</th></tr></thead><tbody>\n");
                for (String kind : new String[] {"helpful", "harmful"}) {
                    for (JsonElement e : j.getAsJsonArray(kind)) {
                        JsonObject entry = e.getAsJsonObject();
                        s.append(String.format(Locale.ROOT, "<tr><td>%s</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                                        + "<td class=\"n\">%+.4g</td></tr>\n", kind, entry.get("index").getAsInt(),
                                entry.get("label").getAsInt(), entry.get("score").getAsDouble()));
                    }
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + ": not the JSON that influence --json writes (" + e.getMessage() + ")");
            }
            s.append("</tbody></table>\n");
            String name = file.getFileName().toString();
            s.append(picture("influence", file.resolveSibling(name.substring(0, name.length() - ".json".length()) + ".png"),
                    "Influence on test image " + testIndex(file)));
        }
        return s.toString();
    }

    /** One precision for all parameters, or each layer's (laplace --prior-structure layerwise). */
    private static String priorPrecision(JsonObject j) {
        JsonElement scalar = j.get("prior_precision");
        if (scalar != null && !scalar.isJsonNull()) return String.format(Locale.ROOT, "%.4g", scalar.getAsDouble());
        StringBuilder s = new StringBuilder();
        for (Map.Entry<String, JsonElement> e : j.getAsJsonObject("prior_precisions").entrySet()) {
            s.append(s.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4g for layer %s", e.getValue().getAsDouble(),
                    e.getKey()));
        }
        return s.toString();
    }

    /** The PNG inline as a data URI, or a note that it is missing. */
    private static String picture(String name, Path png, String alt) throws IOException {
        if (!Files.isRegularFile(png)) return "<p>No " + Svg.escape(png.getFileName().toString()) + " beside the results.</p>\n";
        return "<figure class=\"chart\" data-chart=\"" + name + "\"><img alt=\"" + Svg.escape(alt) + "\" src=\"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(Files.readAllBytes(png)) + "\"></figure>\n";
    }

    private static JsonObject parse(Path file, String writer) throws IOException {
        try {
            JsonObject j = new Gson().fromJson(Files.readString(file), JsonObject.class);
            if (j == null) throw new IllegalArgumentException("empty");
            return j;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not the JSON that " + writer + " writes (" + e.getMessage() + ")");
        }
    }

    private static long testIndex(Path file) {
        Matcher m = INFLUENCE.matcher(file.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }
}
