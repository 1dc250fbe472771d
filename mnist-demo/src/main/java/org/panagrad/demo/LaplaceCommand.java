package org.panagrad.demo;

import com.google.gson.GsonBuilder;
import org.panagrad.compiler.Compiler;
import org.panagrad.curvature.Calibration;
import org.panagrad.curvature.CalibrationDifference;
import org.panagrad.curvature.Laplace;
import org.panagrad.curvature.LayerBackprop;
import org.panagrad.io.AtomicFiles;
import org.panagrad.io.Dataset;
import org.panagrad.io.Mnist;
import org.panagrad.runtime.Program;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

@Command(name = "laplace", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fits a Laplace approximation to a checkpoint and compares its calibration with the MAP model's.",
                "Fitted on the training set; tunes the prior precision by the log marginal likelihood, and compares the MAP model's test accuracy, NLL and calibration (ECE,"
                + " 15 bins) with the Laplace predictive (probit; the probit of the logits projected onto zero sum, which drops the"
                + " variance all classes share and the softmax ignores; Monte Carlo over the linearised model's logits; Monte Carlo"
                + " over the network at sampled parameters), each predictive's NLL and ECE minus the MAP model's with a paired"
                + " bootstrap interval over the test images; draws a reliability diagram.",
                "Writes laplace.json and laplace-reliability.png into the run directory; with --out-dir set to a training"
                + " run's directory, report --run shows them."})
final class LaplaceCommand implements Callable<Integer> {
    static final int BATCH = 1000, BINS = 15;
    // Enough for a 95% percentile interval to move by well under its own width between seeds.
    static final int BOOTSTRAP_RESAMPLES = 2000;
    /** The default output names in the run directory, where {@link Report} looks for them. */
    static final String JSON = "laplace.json", PICTURE = "laplace-reliability.png";

    @CommandLine.Mixin
    AnalysisOptions common;

    @Option(names = "--subset", paramLabel = "NAME", defaultValue = "last-layer", description = "all or last-layer (default: ${DEFAULT-VALUE}).")
    String subset;

    @Option(names = "--hessian", paramLabel = "NAME", defaultValue = "kron", description = "diag, kron or full (full: last-layer only; default: ${DEFAULT-VALUE}).")
    String hessian;

    @Option(names = "--train-samples", paramLabel = "N", description = "Fit the Gauss-Newton matrix on the first N training images,"
            + " a multiple of " + BATCH + ", scaled to the whole training set the model was trained on (default: all).")
    Integer trainSamples;

    @Option(names = "--mc-samples", paramLabel = "S", defaultValue = "30",
            description = "Posterior samples for the Monte Carlo predictive; 0 skips it (default: ${DEFAULT-VALUE}).")
    int mcSamples;

    @Option(names = "--glm-samples", paramLabel = "S", defaultValue = "1000",
            description = {"Samples of each image's logits for the Monte Carlo predictive of the linearised model (laplace-torch's"
                    + " glm with mc); 0 skips it (default: ${DEFAULT-VALUE}).",
                    "Unlike the probit it keeps the correlations between the classes; it never runs the network at sampled parameters."})
    int glmSamples;

    @Option(names = "--prior-precision", paramLabel = "DELTA", description = "Use this prior precision instead of tuning it.")
    Double priorPrecision;

    @Option(names = "--prior-structure", paramLabel = "NAME", defaultValue = "scalar",
            description = "scalar (one prior precision) or layerwise (one per layer), tuned by the log marginal likelihood"
                    + " (default: ${DEFAULT-VALUE}).")
    String priorStructure;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of the posterior samples (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", paramLabel = "FILE", description = {"The results as JSON.", "Default: " + JSON + " in the run directory."})
    Path json;

    @Option(names = "--png", paramLabel = "FILE", description = {"The reliability diagram of MAP and Laplace (PNG).",
            "Default: " + PICTURE + " in the run directory."})
    Path png;

    @CommandLine.Mixin
    RunDirectory run;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (json == null) json = run.file("laplace", JSON);
        if (png == null) png = run.file("laplace", PICTURE);
        return AnalysisOptions.writeInto(run, json, png, this::analyse);
    }

    private int analyse() throws IOException {
        Threads.configure(common.threads, spec.commandLine().getErr());
        Laplace.Subset chosenSubset = Laplace.Subset.parse(subset);
        Laplace.Structure structure = Laplace.Structure.parse(hessian);
        if (mcSamples < 0) throw new IllegalArgumentException("--mc-samples must be >= 0, got " + mcSamples);
        if (glmSamples < 0) throw new IllegalArgumentException("--glm-samples must be >= 0, got " + glmSamples);
        PrintWriter out = spec.commandLine().getOut();
        Model model = Checkpoint.load(common.checkpoint, null).toModel();
        Mnist mnist = common.data.load();
        Dataset train = mnist.train(), test = mnist.test();
        int n = trainSamples != null ? trainSamples : train.count() / BATCH * BATCH;
        if (n < BATCH || n % BATCH != 0 || n > train.count()) {
            throw new IllegalArgumentException("--train-samples must be a multiple of " + BATCH + " between " + BATCH + " and "
                    + train.count() + ", got " + n);
        }
        Map<String, Double> seconds = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        // The posterior is over the whole training set (the MAP's data); a sample of it estimates its curvature.
        double trainLoss = new Evaluator(model, train).run().loss();
        Model.Batch fit = model.batch("laplace_fit", BATCH);
        int pixels = train.pixelsPerImage();
        Laplace.Batches batches = new Laplace.Batches() {
            @Override
            public int count() {
                return n / BATCH;
            }

            @Override
            public void feed(int b, Program program) {
                program.set(fit.images(), train.images(), b * BATCH * pixels);
            }
        };
        Laplace laplace = Laplace.fit(model.store, fit.logits(), fit.layers(), chosenSubset, structure, batches, train.count(),
                -trainLoss * train.count());
        seconds.put("fit", (System.nanoTime() - t0) / 1e9);
        out.printf(Locale.ROOT, "Laplace (%s, %s) over %,d parameters of layers %s, Gauss-Newton on %,d of the %,d training images%s: %.1f s%n",
                chosenSubset.cliName, structure.cliName(), laplace.dimension(), laplace.layers(), n, train.count(),
                n < train.count() ? " (scaled to all)" : "", seconds.get("fit"));
        out.flush();
        t0 = System.nanoTime();
        Laplace.PriorStructure prior = Laplace.PriorStructure.parse(priorStructure);
        if (priorPrecision != null) laplace.setPriorPrecision(priorPrecision);
        else laplace.tunePriorPrecision(prior);
        double[] deltas = laplace.priorPrecisions();
        double lml = laplace.logMarginalLikelihood(deltas);
        seconds.put("prior", (System.nanoTime() - t0) / 1e9);
        StringBuilder precisions = new StringBuilder();
        for (int l = 0; l < deltas.length; l++) {
            if (l > 0) precisions.append(", ");
            precisions.append(String.format(Locale.ROOT, "%s %.6g", laplace.layers().get(l), deltas[l]));
        }
        String deltaText = priorPrecision != null || prior == Laplace.PriorStructure.SCALAR
                ? String.format(Locale.ROOT, "%.6g", deltas[0]) : precisions.toString();
        out.printf(Locale.ROOT, "prior precision %s (%s), log marginal likelihood %.2f%n", deltaText,
                priorPrecision != null ? "given" : prior.cliName() + ", maximising the log marginal likelihood", lml);
        out.flush();

        int classes = Mnist.CLASSES, count = test.count() / BATCH * BATCH;
        Model.Batch eval = model.batch("laplace_test", BATCH);
        Program forward = Compiler.compile(model.store, List.of(eval.logits()));
        LayerBackprop jacobian = laplace.jacobianProgram(model.store, eval.logits(), eval.layers());
        float[] logits = new float[BATCH * classes], probs = new float[BATCH * classes];
        float[] map = new float[count * classes], probit = new float[count * classes], mc = new float[count * classes];
        float[] glm = new float[count * classes], zeroSum = new float[count * classes];
        // One Jacobian run and one logit covariance per batch serve every linearised predictive: the probit reads
        // the diagonal, the zero-sum probit and the GLM Monte Carlo the whole matrix.
        float[] covariance = new float[BATCH * classes * classes];
        SplittableRandom glmRnd = new SplittableRandom(seed + 1);
        long glmNanos = 0;
        t0 = System.nanoTime();
        for (int start = 0; start < count; start += BATCH) {
            forward.set(eval.images(), test.images(), start * pixels);
            forward.run();
            forward.read(eval.logits(), logits);
            softmax(logits, map, start * classes);
            jacobian.program().set(eval.images(), test.images(), start * pixels);
            laplace.logitCovariance(jacobian, covariance);
            Laplace.probitFromCovariance(BATCH, classes, logits, covariance, probs);
            System.arraycopy(probs, 0, probit, start * classes, probs.length);
            Laplace.probitZeroSumFromCovariance(BATCH, classes, logits, covariance, probs);
            System.arraycopy(probs, 0, zeroSum, start * classes, probs.length);
            if (glmSamples > 0) {
                long g0 = System.nanoTime();
                laplace.glmMonteCarlo(BATCH, classes, covariance, logits, glmSamples, glmRnd, probs);
                System.arraycopy(probs, 0, glm, start * classes, probs.length);
                glmNanos += System.nanoTime() - g0;
            }
        }
        seconds.put("probit", (System.nanoTime() - t0 - glmNanos) / 1e9);
        seconds.put("glm_monte_carlo", glmNanos / 1e9);
        t0 = System.nanoTime();
        if (mcSamples > 0) {
            SplittableRandom rnd = new SplittableRandom(seed);
            float[] z = new float[laplace.dimension()], draw = new float[laplace.dimension()], sample = new float[BATCH * classes];
            try {
                for (int s = 0; s < mcSamples; s++) {
                    laplace.sample(rnd, z, draw);
                    for (int start = 0; start < count; start += BATCH) {
                        forward.set(eval.images(), test.images(), start * pixels);
                        forward.run();
                        forward.read(eval.logits(), logits);
                        softmax(logits, sample, 0);
                        for (int i = 0; i < sample.length; i++) mc[start * classes + i] += sample[i] / mcSamples;
                    }
                }
            } finally {
                laplace.restoreMap();
            }
        }
        seconds.put("monte_carlo", (System.nanoTime() - t0) / 1e9);
        Map<String, float[]> predictives = new LinkedHashMap<>();
        predictives.put("MAP", map);
        predictives.put("Laplace probit", probit);
        predictives.put("Laplace probit, zero-sum", zeroSum);
        if (glmSamples > 0) predictives.put("Laplace GLM MC (" + glmSamples + " samples)", glm);
        if (mcSamples > 0) predictives.put("Laplace MC (" + mcSamples + " samples)", mc);
        Map<String, Calibration> results = new LinkedHashMap<>();
        Map<String, CalibrationDifference> againstMap = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : predictives.entrySet()) {
            results.put(e.getKey(), Calibration.of(e.getValue(), test.labels(), count, classes, BINS));
            if (e.getValue() != map) {
                againstMap.put(e.getKey(), CalibrationDifference.paired(map, e.getValue(), test.labels(), count, classes, BINS,
                        BOOTSTRAP_RESAMPLES, 0.95, seed));
            }
        }
        out.printf(Locale.ROOT, "%-28s %9s %8s %8s   %s%n", "test (" + count + " images)", "accuracy", "NLL", "ECE",
                "minus MAP's, 95% paired bootstrap interval (" + BOOTSTRAP_RESAMPLES + " resamples): NLL; ECE");
        for (Map.Entry<String, Calibration> e : results.entrySet()) {
            Calibration c = e.getValue();
            CalibrationDifference d = againstMap.get(e.getKey());
            out.printf(Locale.ROOT, "%-28s %8.2f%% %8.4f %8.4f%s%n", e.getKey(), 100 * c.accuracy(), c.nll(), c.ece(), d == null ? ""
                    : String.format(Locale.ROOT, "   %+.4f [%+.4f, %+.4f]; %+.4f [%+.4f, %+.4f], lower in %.0f%%", d.nll(),
                    d.nllLow(), d.nllHigh(), d.ece(), d.eceLow(), d.eceHigh(), 100 * d.eceLowerShare()));
        }
        out.flush();
        List<ReliabilityDiagram.Curve> curves = results.entrySet().stream()
                .map(e -> new ReliabilityDiagram.Curve(e.getKey(), e.getValue())).toList();
        ReliabilityDiagram.write(png, String.format(Locale.ROOT, "Reliability: %s, Laplace %s/%s, prior precision %s",
                model.mlp != null ? Model.widthsText(model.mlp.widths()) : model.name(), chosenSubset.cliName, structure.cliName(),
                deltaText.length() > 12 ? prior.cliName() : deltaText), curves);
        out.println("reliability diagram: " + png);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("checkpoint", common.checkpoint.toString());
        report.put("subset", chosenSubset.cliName);
        report.put("hessian", structure.cliName());
        report.put("parameters", laplace.dimension());
        report.put("train_samples", n);
        report.put("training_set", train.count());
        report.put("prior_structure", priorPrecision != null ? "scalar" : prior.cliName());
        report.put("prior_precision", deltas.length == 1 || priorPrecision != null || prior == Laplace.PriorStructure.SCALAR
                ? deltas[0] : null);
        Map<String, Double> perLayer = new LinkedHashMap<>();
        for (int l = 0; l < deltas.length; l++) perLayer.put(laplace.layers().get(l), deltas[l]);
        report.put("prior_precisions", perLayer);
        report.put("prior_precision_tuned", priorPrecision == null);
        report.put("log_marginal_likelihood", lml);
        report.put("results", results);
        report.put("minus_map", againstMap);
        report.put("seconds", seconds);
        byte[] bytes = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(report)
                .getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(json, o -> o.write(bytes));
        out.println("results: " + json);
        out.flush();
        return 0;
    }

    /** Row-wise softmax of [rows, 10] logits into out from offset. */
    static void softmax(float[] logits, float[] out, int offset) {
        int classes = Mnist.CLASSES;
        for (int r = 0; r < logits.length / classes; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < classes; c++) max = Math.max(max, logits[r * classes + c]);
            for (int c = 0; c < classes; c++) sum += Math.exp(logits[r * classes + c] - max);
            for (int c = 0; c < classes; c++) out[offset + r * classes + c] = (float) (Math.exp(logits[r * classes + c] - max) / sum);
        }
    }
}
