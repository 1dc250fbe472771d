package org.panagrad.demo;

import com.google.gson.GsonBuilder;
import org.panagrad.analysis.BatchAverage;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.curvature.DenseCurvature;
import org.panagrad.curvature.EigenvalueRefit;
import org.panagrad.curvature.Influence;
import org.panagrad.curvature.KroneckerFactors;
import org.panagrad.curvature.LayerBackprop;
import org.panagrad.graph.Node;
import org.panagrad.io.AtomicFiles;
import org.panagrad.io.Dataset;
import org.panagrad.io.Mnist;
import org.panagrad.optim.secondorder.ConjugateGradient;
import org.panagrad.runtime.Program;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

@Command(name = "influence", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Finds the training images that most help and most harm one test image's loss (influence functions).",
                "The training images whose upweighting most lowers (helpful) and most raises (harmful) its loss, -grad L_test^T (H + damping I)^-1 grad L_train, with the"
                + " inverse-curvature product from an exact solve, CG on the damped Gauss-Newton matrix, or EKFAC.",
                "Writes influence-I.json and influence-I.png (I the test image) into the run directory; with --out-dir set to"
                + " a training run's directory, report --run shows every test image explained there."})
final class InfluenceCommand implements Callable<Integer> {
    /** The largest model the exact method builds an explicit Hessian for (its d x d doubles, d products per batch). */
    static final int EXACT_LIMIT = 3000;
    /** The default output names in the run directory (influence-17.json, ...), where {@link Report} looks for them. */
    static final String PREFIX = "influence-";

    @CommandLine.Mixin
    AnalysisOptions common;

    @Option(names = "--test-index", paramLabel = "I", required = true, description = "The test image to explain.")
    int testIndex;

    @Option(names = "--top", paramLabel = "K", defaultValue = "8", description = "How many of each kind (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--method", paramLabel = "NAME", defaultValue = "ekfac", description = "exact, cg or ekfac (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--train-samples", paramLabel = "N", defaultValue = "1000",
            description = "Score the first N training images, whose loss also defines the curvature; at most 1000 or a"
                    + " multiple of 1000 (default: ${DEFAULT-VALUE}).")
    int trainSamples;

    @Option(names = "--damping", paramLabel = "LAMBDA", defaultValue = "0.01",
            description = "Added to the curvature's diagonal before inverting (default: ${DEFAULT-VALUE}).")
    double damping;

    @Option(names = "--cg-iterations", paramLabel = "N", defaultValue = "100", description = "cg only: iterations at most (default: ${DEFAULT-VALUE}).")
    int cgIterations;

    @Option(names = "--json", paramLabel = "FILE", description = {"The indices and scores as JSON.",
            "Default: " + PREFIX + "I.json in the run directory."})
    Path json;

    @Option(names = "--png", paramLabel = "FILE", description = {"The test image beside the top K of each kind (PNG).",
            "Default: " + PREFIX + "I.png in the run directory."})
    Path png;

    @CommandLine.Mixin
    RunDirectory run;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    record Entry(int index, int label, double score) {}

    @Override
    public Integer call() throws IOException {
        if (json == null) json = run.file("influence", PREFIX + testIndex + ".json");
        if (png == null) png = run.file("influence", PREFIX + testIndex + ".png");
        return AnalysisOptions.writeInto(run, json, png, this::analyse);
    }

    private int analyse() throws IOException {
        Threads.configure(common.threads, spec.commandLine().getErr());
        String chosen = method.trim().toLowerCase(Locale.ROOT);
        if (!List.of("exact", "cg", "ekfac").contains(chosen)) {
            throw new IllegalArgumentException("unknown --method '" + method + "' (expected exact, cg or ekfac)");
        }
        if (!(damping >= 0)) throw new IllegalArgumentException("--damping must be >= 0, got " + damping);
        if (cgIterations < 1) throw new IllegalArgumentException("--cg-iterations must be at least 1, got " + cgIterations);
        PrintWriter out = spec.commandLine().getOut();
        Model model = Checkpoint.load(common.checkpoint, null).toModel();
        Mnist mnist = common.data.load();
        Dataset train = mnist.train(), test = mnist.test();
        if (testIndex < 0 || testIndex >= test.count()) {
            throw new IllegalArgumentException("--test-index " + testIndex + " is outside the test set of " + test.count()
                    + " images (expected 0 to " + (test.count() - 1) + ")");
        }
        int n = trainSamples, batch = Math.min(n, 1000);
        if (n < 1 || n > train.count() || n % batch != 0) {
            throw new IllegalArgumentException("--train-samples must be at most 1000 or a multiple of 1000, up to "
                    + train.count() + ", got " + n);
        }
        int top = Math.min(this.top, n);
        if (top < 1) throw new IllegalArgumentException("--top must be at least 1, got " + this.top);
        int pixels = train.pixelsPerImage(), batches = n / batch;
        List<Node> params = model.parameters();
        int d = (int) model.parameterCount();

        long t0 = System.nanoTime();
        Model.Batch one = model.batch("influence_test", 1);
        Node[] grads = Autodiff.grad(one.loss(), params.toArray(new Node[0]));
        Program testProgram = Compiler.compile(model.store, List.of(grads));
        testProgram.set(one.images(), test.images(), testIndex * pixels);
        testProgram.setLabels(one.labels(), test.labels(), testIndex);
        testProgram.run();
        float[] testGradient = new float[d];
        int off = 0;
        for (Node g : grads) {
            testProgram.readInto(g, testGradient, off);
            off += g.shape().numel();
        }

        Model.Batch fit = model.batch("influence_train", batch);
        float[] s = new float[d];
        String detail;
        switch (chosen) {
            case "exact" -> {
                if (d > EXACT_LIMIT) {
                    throw new IllegalArgumentException("--method exact builds the explicit " + d + " x " + d + " Hessian; this model"
                            + " has more than " + EXACT_LIMIT + " parameters: use --method cg or ekfac");
                }
                LinearOperator hessian = average(model, fit, train, batches, CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE);
                double[] matrix = new double[d * d];
                float[] e = new float[d], column = new float[d];
                for (int j = 0; j < d; j++) {
                    e[j] = 1;
                    hessian.apply(e, column);
                    e[j] = 0;
                    for (int i = 0; i < d; i++) matrix[i * d + j] = column[i];
                }
                new DenseCurvature("the Hessian of the training loss", matrix, d).solve(damping, testGradient, s);
                for (int i = 0; i < d; i++) s[i] = -s[i];
                detail = "explicit Hessian, Cholesky solve";
            }
            case "cg" -> {
                LinearOperator ggn = average(model, fit, train, batches, CurvatureProduct.Kind.GAUSS_NEWTON).damped(damping);
                ConjugateGradient cg = new ConjugateGradient(d, cgIterations, 1e-10);
                int iterations = cg.solve(ggn::apply, testGradient, s);
                detail = "CG on the damped Gauss-Newton matrix, " + iterations + " iterations"
                        + (cg.metNegativeCurvature() ? " (stopped at non-positive curvature)" : "");
            }
            default -> {
                LayerBackprop backprop = LayerBackprop.compile(model.store, fit.logits(), fit.layers(),
                        LayerBackprop.Vectors.HESSIAN_FACTOR, "EKFAC", true, true);
                KroneckerFactors factors = new KroneckerFactors(backprop, "KFLR");
                SplittableRandom unused = new SplittableRandom(0);
                for (int b = 0; b < batches; b++) {
                    backprop.program().set(fit.images(), train.images(), b * batch * pixels);
                    backprop.run(unused);
                    factors.add(backprop, batch);
                }
                EigenvalueRefit refit = new EigenvalueRefit(factors.curvature(), backprop);
                for (int b = 0; b < batches; b++) {
                    backprop.program().set(fit.images(), train.images(), b * batch * pixels);
                    backprop.run(unused);
                    refit.add(batch);
                }
                refit.result().solve(damping, testGradient, s);
                for (int i = 0; i < d; i++) s[i] = -s[i];
                detail = "EKFAC (KFLR eigenbasis, refitted eigenvalues)";
            }
        }
        double inverseSeconds = (System.nanoTime() - t0) / 1e9;

        t0 = System.nanoTime();
        LayerBackprop perExample = LayerBackprop.compile(model.store, fit.logits(), fit.layers(), LayerBackprop.Vectors.SAMPLED,
                "influence", false, true);
        Influence influence = new Influence(perExample);
        float[] scores = new float[n];
        for (int b = 0; b < batches; b++) {
            perExample.program().set(fit.images(), train.images(), b * batch * pixels);
            influence.scores(s, train.labels(), b * batch, scores, b * batch);
        }
        double scoreSeconds = (System.nanoTime() - t0) / 1e9;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(scores[a], scores[b]));
        List<Entry> helpful = new ArrayList<>(), harmful = new ArrayList<>();
        for (int k = 0; k < top; k++) {
            helpful.add(new Entry(order[k], train.labels()[order[k]], scores[order[k]]));
            harmful.add(new Entry(order[n - 1 - k], train.labels()[order[n - 1 - k]], scores[order[n - 1 - k]]));
        }
        int label = test.labels()[testIndex];
        out.printf(Locale.ROOT, "test image %d (label %d), %d training images, %s, damping %s: %.1f s, scores %.1f s%n",
                testIndex, label, n, detail, damping, inverseSeconds, scoreSeconds);
        print(out, "helpful (upweighting lowers the test loss)", helpful);
        print(out, "harmful (upweighting raises the test loss)", harmful);
        out.flush();
        InfluencePicture.write(png, test, testIndex, train, helpful, harmful, chosen);
        out.println("picture: " + png);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("checkpoint", common.checkpoint.toString());
        report.put("test_index", testIndex);
        report.put("test_label", label);
        report.put("method", chosen);
        report.put("detail", detail);
        report.put("damping", damping);
        report.put("train_samples", n);
        report.put("helpful", helpful);
        report.put("harmful", harmful);
        report.put("seconds", Map.of("inverse", inverseSeconds, "scores", scoreSeconds));
        byte[] bytes = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(report)
                .getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(json, o -> o.write(bytes));
        out.println("results: " + json);
        out.flush();
        return 0;
    }

    /** The curvature of the mean loss over the first batches of the training set, as one operator. */
    private static LinearOperator average(Model model, Model.Batch fit, Dataset train, int batches, CurvatureProduct.Kind kind) {
        CurvatureProduct product = CurvatureProduct.compile(model.store, fit.loss(), model.parameters(), kind, false);
        int batch = fit.size(), pixels = train.pixelsPerImage();
        return new BatchAverage(product.dimension(), batches, b -> {
            product.program().set(fit.images(), train.images(), b * batch * pixels);
            product.program().setLabels(fit.labels(), train.labels(), b * batch);
            return product.atCurrentPoint();
        });
    }

    private static void print(PrintWriter out, String title, List<Entry> entries) {
        out.println(title + ":");
        for (Entry e : entries) out.printf(Locale.ROOT, "  train %5d  label %d  score %+.4g%n", e.index(), e.label(), e.score());
    }
}
