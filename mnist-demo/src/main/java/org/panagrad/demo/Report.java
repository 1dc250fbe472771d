package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.panagrad.demo.report.GraphSvg;
import org.panagrad.demo.report.Heatmap;
import org.panagrad.demo.report.HistogramChart;
import org.panagrad.demo.report.LineChart;
import org.panagrad.demo.report.Svg;
import org.panagrad.io.AtomicFiles;
import org.panagrad.io.Dataset;
import org.panagrad.io.tensorboard.Event;
import org.panagrad.io.tensorboard.EventReader;
import org.panagrad.io.tensorboard.Histogram;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.nn.zoo.ZooOptions;
import org.panagrad.optim.TrainingStep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One self-contained HTML page about a run, from what its directory holds: the TensorBoard event files (loss,
 * accuracy, learning rate, throughput, per-layer gradient norms, weight and gradient histograms), run.json (the
 * model and optimizer, from which the report compiles the training step again to draw its graph and profile it
 * on random data), and a hessian.json, laplace.json and influence-I.json when there are (with the pictures
 * that laplace and influence wrote beside them; {@link AnalysisSections}). Every chart is inline SVG drawn here (those
 * two pictures are PNG data URIs), with CSS in the page: nothing is loaded from the network, and the page runs no script.
 */
final class Report {
    static final String FILE = "report.html";
    private static final int PROFILE_WARMUP = 300, PROFILE_STEPS = 200;

    private Report() {}

    /** Scalars by tag (step to value) and the last histogram of each tag. */
    record RunData(Map<String, TreeMap<Long, Double>> scalars, Map<String, Histogram> histograms,
                   Map<String, Long> histogramSteps) {
        static RunData read(Path dir) throws IOException {
            Map<String, TreeMap<Long, Double>> scalars = new TreeMap<>();
            Map<String, Histogram> histograms = new TreeMap<>();
            Map<String, Long> steps = new TreeMap<>();
            for (Path file : EventReader.files(dir)) {
                for (Event e : EventReader.read(file)) {
                    for (Event.Value v : e.values()) {
                        if (v.isHistogram()) {
                            if (e.step() >= steps.getOrDefault(v.tag(), Long.MIN_VALUE)) {
                                histograms.put(v.tag(), v.histogram());
                                steps.put(v.tag(), e.step());
                            }
                        } else {
                            scalars.computeIfAbsent(v.tag(), k -> new TreeMap<>()).put(e.step(), (double) v.scalar());
                        }
                    }
                }
            }
            return new RunData(scalars, histograms, steps);
        }

        TreeMap<Long, Double> series(String tag) {
            return scalars.getOrDefault(tag, new TreeMap<>());
        }
    }

    /** Writes {@code dir/report.html} and returns its path; {@code hessian} (or dir/hessian.json) adds the spectrum. */
    static Path write(Path dir, Path hessian) throws IOException {
        return write(dir, hessian, dir.resolve(FILE));
    }

    /** Writes the report of the run in {@code dir} to {@code out}. */
    static Path write(Path dir, Path hessian, Path out) throws IOException {
        if (!Files.isDirectory(dir)) throw new java.nio.file.NoSuchFileException(dir.toString(), null, "no such run directory");
        RunData data = RunData.read(dir);
        Path runFile = dir.resolve(TensorBoardLogger.RUN_FILE);
        TensorBoardLogger.RunInfo info = Files.exists(runFile)
                ? new Gson().fromJson(Files.readString(runFile), TensorBoardLogger.RunInfo.class) : null;
        if (data.scalars().isEmpty() && info == null) {
            throw new IllegalArgumentException(dir + " holds no TensorBoard event files and no " + TensorBoardLogger.RUN_FILE
                    + ": train with --tensorboard " + dir + " (or --report) first");
        }
        Path hessianFile = hessian != null ? hessian : Files.exists(dir.resolve("hessian.json")) ? dir.resolve("hessian.json") : null;
        boolean laplace = AnalysisSections.hasLaplace(dir);
        List<Path> influence = AnalysisSections.influenceFiles(dir);

        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Panagrad run report</title>\n")
                .append("<style>").append(CSS).append("</style></head><body>\n");
        html.append("<h1>Panagrad run report</h1>\n<p class=\"meta\">").append(Svg.escape(summary(dir, info, data))).append("</p>\n");
        html.append("<nav><a href=\"#curves\">curves</a> <a href=\"#gradients\">gradients</a> <a href=\"#histograms\">histograms</a>"
                + " <a href=\"#graph\">graph</a> <a href=\"#profile\">profile</a>")
                .append(hessianFile != null ? " <a href=\"#hessian\">Hessian</a>" : "")
                .append(laplace ? " <a href=\"#laplace\">Laplace</a>" : "")
                .append(influence.isEmpty() ? "" : " <a href=\"#influence\">influence</a>").append("</nav>\n");

        section(html, "curves", "Loss and accuracy");
        html.append(figure("loss", lossChart(data)));
        html.append(figure("accuracy", line("Test accuracy", "step", "accuracy (%)", "#2ca02c", data.series("test/accuracy"), 100, true)));
        html.append(figure("throughput", line("Throughput", "step", "samples/s", "#8c564b", data.series("train/samples_per_second"), 1, true)));
        html.append(figure("learning-rate", line("Learning rate", "step", "learning rate", "#7f7f7f", data.series("train/learning_rate"), 1, false)));

        section(html, "gradients", "Gradient norm per layer");
        html.append("<p>Each cell is the L2 norm of one parameter's gradient at a step (colour on a log scale). A row that fades"
                + " to dark blue is a vanishing gradient; one that turns yellow (or red: not finite) is exploding.</p>\n");
        html.append(figure("gradient-heatmap", heatmap(data)));

        section(html, "histograms", "Weights and gradients, latest");
        html.append(histograms(data));

        section(html, "graph", "The compiled training step");
        section(html, "profile", "Profile of the training step");
        if (info != null) {
            // run.json's "layers" holds an MLP's widths, or the zoo name of another model.
            boolean mlp = Character.isDigit(info.layers().charAt(0));
            Model model = new Model(mlp ? "mlp" : info.layers(), new ZooOptions(mlp ? Mlp.parseWidths(info.layers())
                    : ZooOptions.DEFAULT.mlpWidths(), Activation.parse(info.activation())));
            model.initialize(Init.TORCH_DEFAULT, info.seed());
            OptimizerChoice choice = OptimizerChoice.parse(info.optimizer());
            boolean compiled = choice.kind == OptimizerChoice.Kind.COMPILED;
            Model.Batch b = model.trainingBatch("train", info.batch());
            TrainingStep step = TrainingStep.compile(model.store, b.loss(), model.parameters(),
                    compiled ? choice.compiled(info.learning_rate()) : OptimizerChoice.SGD.compiled(0.01), false,
                    b.stateUpdates());
            String title = info.torch_module() + ", batch " + info.batch() + ", " + (compiled ? info.optimizer() : "sgd");
            int graphAt = html.indexOf("<h2 id=\"profile\">");
            String graph = (compiled ? "" : "<p>" + info.optimizer() + " runs programs of its own; this is the SGD training"
                    + " step of the same model.</p>\n") + figure("graph", GraphSvg.render(ProgramPicture.of(title,
                    step.program(), b.loss(), java.util.Set.of()), "graph"));
            html.insert(graphAt, graph);
            html.append(profile(model, b, step));
        } else {
            html.append("<p>No ").append(TensorBoardLogger.RUN_FILE).append(": the model is not known.</p>\n");
        }
        if (hessianFile != null) {
            section(html, "hessian", "Hessian spectrum");
            html.append(figure("hessian", hessianChart(hessianFile)));
        }
        if (laplace) {
            section(html, "laplace", "Laplace calibration");
            html.append(AnalysisSections.laplace(dir));
        }
        if (!influence.isEmpty()) {
            section(html, "influence", "Influential training images");
            html.append(AnalysisSections.influence(influence));
        }
        html.append("<footer>Written by mnist-demo report from ").append(Svg.escape(dir.toString())).append(".</footer>\n</body></html>\n");
        byte[] bytes = html.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(out, o -> o.write(bytes));
        return out;
    }

    private static String summary(Path dir, TensorBoardLogger.RunInfo info, RunData data) {
        StringBuilder s = new StringBuilder(dir.getFileName() != null ? dir.getFileName().toString() : dir.toString());
        if (info != null) {
            s.append(": ").append(info.torch_module()).append(", ").append(info.optimizer());
            if (info.learning_rate() != null) s.append(String.format(Locale.ROOT, " lr %s", info.learning_rate()));
            if (info.lr_schedule() != null) s.append(" (").append(info.lr_schedule()).append(')');
            s.append(", batch ").append(info.batch()).append(", ").append(info.epochs()).append(" epochs, seed ").append(info.seed());
        }
        TreeMap<Long, Double> acc = data.series("test/accuracy"), loss = data.series("test/loss");
        if (!acc.isEmpty()) {
            s.append(String.format(Locale.ROOT, "; after step %d: test accuracy %.2f%%, test loss %.4f", acc.lastKey(),
                    100 * acc.lastEntry().getValue(), loss.isEmpty() ? Double.NaN : loss.lastEntry().getValue()));
        }
        return s.toString();
    }

    private static void section(StringBuilder html, String id, String title) {
        html.append("<h2 id=\"").append(id).append("\">").append(Svg.escape(title)).append("</h2>\n");
    }

    private static String figure(String name, String svg) {
        return "<figure class=\"chart\" data-chart=\"" + name + "\">" + svg + "</figure>\n";
    }

    /** The training loss every step (light) with its running mean over 50 steps, and the test loss at each epoch. */
    private static String lossChart(RunData data) {
        TreeMap<Long, Double> train = data.series("train/loss"), test = data.series("test/loss");
        double[][] t = arrays(train, 1);
        double[] smooth = new double[t[1].length];
        double sum = 0;
        for (int i = 0; i < smooth.length; i++) {
            sum += t[1][i];
            if (i >= 50) sum -= t[1][i - 50];
            smooth[i] = sum / Math.min(i + 1, 50);
        }
        double[][] e = arrays(test, 1);
        LineChart chart = new LineChart("Loss", "step", "cross-entropy").size(760, 340)
                .add(new LineChart.Series("train (each step)", "#aec7e8", t[0], t[1], false))
                .add(new LineChart.Series("train (mean of 50 steps)", "#1f77b4", t[0], smooth, false))
                .add(new LineChart.Series("test (each epoch)", "#d62728", e[0], e[1], true));
        return chart.render("loss");
    }

    private static String line(String title, String x, String y, String colour, TreeMap<Long, Double> series, double scale,
                               boolean points) {
        double[][] a = arrays(series, scale);
        return new LineChart(title, x, y).size(370, 260).add(new LineChart.Series(title, colour, a[0], a[1], points))
                .render(title.toLowerCase(Locale.ROOT).replace(' ', '-'));
    }

    private static double[][] arrays(TreeMap<Long, Double> series, double scale) {
        double[] xs = new double[series.size()], ys = new double[series.size()];
        int i = 0;
        for (Map.Entry<Long, Double> e : series.entrySet()) {
            xs[i] = e.getKey();
            ys[i++] = e.getValue() * scale;
        }
        return new double[][] {xs, ys};
    }

    private static String heatmap(RunData data) {
        List<String> rows = new ArrayList<>();
        TreeSet<Long> steps = new TreeSet<>();
        for (Map.Entry<String, TreeMap<Long, Double>> e : data.scalars().entrySet()) {
            if (!e.getKey().startsWith("gradient_norm/")) continue;
            rows.add(e.getKey().substring("gradient_norm/".length()));
            steps.addAll(e.getValue().keySet());
        }
        rows.sort(Report::byLayer);
        long[] cols = steps.stream().mapToLong(Long::longValue).toArray();
        double[][] values = new double[rows.size()][cols.length];
        for (int r = 0; r < rows.size(); r++) {
            TreeMap<Long, Double> s = data.series("gradient_norm/" + rows.get(r));
            for (int c = 0; c < cols.length; c++) values[r][c] = s.getOrDefault(cols[c], Double.NaN);
        }
        return Heatmap.render("Gradient L2 norm per parameter", rows, cols, values, "gradient-heatmap");
    }

    /** "0.weight" before "0.bias" before "2.weight": layer number first, then weight before bias. */
    private static int byLayer(String a, String b) {
        String[] pa = a.split("\\.", 2), pb = b.split("\\.", 2);
        try {
            int c = Integer.compare(Integer.parseInt(pa[0]), Integer.parseInt(pb[0]));
            if (c != 0) return c;
        } catch (NumberFormatException notNumbered) {
            return a.compareTo(b);
        }
        return -a.compareTo(b);
    }

    private static String histograms(RunData data) {
        Map<String, String[]> byParameter = new TreeMap<>(Report::byLayer);
        for (String tag : data.histograms().keySet()) {
            int slash = tag.indexOf('/');
            if (slash < 0) continue;
            String kind = tag.substring(0, slash), name = tag.substring(slash + 1);
            String[] pair = byParameter.computeIfAbsent(name, k -> new String[2]);
            if (kind.equals("weights")) pair[0] = tag;
            if (kind.equals("gradients")) pair[1] = tag;
        }
        if (byParameter.isEmpty()) return "<p>No histograms in the event files.</p>\n";
        StringBuilder s = new StringBuilder("<div class=\"grid\">\n");
        for (Map.Entry<String, String[]> e : byParameter.entrySet()) {
            for (int k = 0; k < 2; k++) {
                String tag = e.getValue()[k];
                if (tag == null) continue;
                Histogram h = data.histograms().get(tag);
                s.append(figure("histogram", HistogramChart.render(tag + " (step " + data.histogramSteps().get(tag) + ")",
                        h.min(), h.max(), h.bucketLimits(), h.bucketCounts(), Math.sqrt(h.sumSquares()),
                        k == 0 ? "#1f77b4" : "#d62728", "histogram")));
            }
        }
        return s.append("</div>\n").toString();
    }

    /** Times each instruction over random images: what each op costs, not what this run's data cost. */
    private static String profile(Model model, Model.Batch batch, TrainingStep step) {
        int n = batch.size() * 4, pixels = model.inputWidth();
        SplittableRandom rnd = new SplittableRandom(1);
        float[] images = new float[n * pixels];
        int[] labels = new int[n];
        for (int i = 0; i < images.length; i++) images[i] = (float) rnd.nextDouble();
        for (int i = 0; i < n; i++) labels[i] = rnd.nextInt(10);
        Profiler.Result result = Profiler.run(model, batch, step, new Dataset(images, labels, n, 1, pixels), PROFILE_WARMUP,
                PROFILE_STEPS);
        long total = result.totalNanos();
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<p>%d steps after %d of warm-up, %.3f ms per step"
                + " (%.0f images/s), measured when this report was written.</p>\n", PROFILE_STEPS, PROFILE_WARMUP,
                result.stepNanos() / 1e6 / result.steps(), batch.size() * result.steps() / (result.stepNanos() / 1e9)));
        s.append("<table class=\"profile\"><thead><tr><th>#</th><th>op</th><th>shapes</th><th>phase</th><th>mean µs</th>"
                + "<th>share of the step</th><th>GFLOP/s</th></tr></thead><tbody>\n");
        for (Profiler.Row r : result.rows()) {
            double share = total == 0 ? 0 : 100.0 * r.totalNanos() / total;
            s.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%s</td><td>%s</td><td><span class=\"dot\" style=\"background:%s\">"
                            + "</span>%s</td><td class=\"n\">%.1f</td><td><span class=\"bar\" style=\"width:%.1fpx\"></span> %.1f%%</td>"
                            + "<td class=\"n\">%.2f</td></tr>\n", r.index(), Svg.escape(r.node().op().name()),
                    Svg.escape(CompiledNodes.shapes(r.node())), r.phase().colour, r.phase().label, r.meanMicros(), 2 * share,
                    share, r.gflops()));
        }
        return s.append("</tbody></table>\n").toString();
    }

    private static String hessianChart(Path file) throws IOException {
        JsonObject j;
        try {
            j = new Gson().fromJson(Files.readString(file), JsonObject.class);
            JsonObject density = j.getAsJsonObject("density"), top = j.getAsJsonObject("topEigenvalues"),
                    trace = j.getAsJsonObject("trace");
            return HessianPlot.svg(j.get("model").getAsString(), j.get("samples").getAsInt(), doubles(density.getAsJsonArray("grid")),
                    doubles(density.getAsJsonArray("density")), doubles(top.getAsJsonArray("eigenvalues")),
                    trace.get("mean").getAsDouble(), trace.get("standardError").getAsDouble(), trace.get("samples").getAsInt());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not the JSON that hessian --json writes (" + e.getMessage() + ")");
        }
    }

    private static double[] doubles(JsonArray a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).getAsDouble();
        return v;
    }

    private static final String CSS = String.join("\n",
            "body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}",
            "h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:30px;border-bottom:1px solid #ddd;padding-bottom:4px}",
            ".meta{color:#555}nav a{margin-right:14px}",
            "figure.chart{display:inline-block;margin:6px 8px 6px 0;vertical-align:top}",
            ".grid{display:flex;flex-wrap:wrap}",
            "table.profile,table.analysis{border-collapse:collapse;font-size:12px}table.profile td,table.profile th,"
                    + "table.analysis td,table.analysis th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}",
            "h3{font-size:14px;margin-top:20px}figure.chart img{max-width:100%}td.n{text-align:right;font-variant-numeric:tabular-nums}",
            ".bar{display:inline-block;height:9px;background:#1f77b4;vertical-align:middle}",
            ".dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:5px}",
            "footer{margin-top:30px;color:#888;font-size:12px}");
}
