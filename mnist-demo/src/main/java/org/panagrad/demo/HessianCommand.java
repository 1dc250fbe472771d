package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import org.panagrad.analysis.BlockLanczosQuadrature;
import org.panagrad.analysis.BlockLinearOperator;
import org.panagrad.analysis.BlockPowerIteration;
import org.panagrad.analysis.HutchinsonTrace;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.analysis.PowerIteration;
import org.panagrad.analysis.SpectralDensity;
import org.panagrad.analysis.SpectralQuadrature;
import org.panagrad.analysis.StochasticLanczosQuadrature;
import org.panagrad.analysis.TopEigenvalues;
import org.panagrad.analysis.TraceEstimate;
import org.panagrad.io.AtomicFiles;
import org.panagrad.io.Mnist;
import org.panagrad.nn.Activation;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "hessian", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Analyses the loss landscape of a checkpoint as PyHessian does, with Hessian-vector products.",
                "The Hessian is that of the mean test loss over the first N test images. Printed, written as JSON and"
                        + " plotted as SVG in the run directory: the top-k eigenvalues (power iteration with deflation),"
                        + " the trace (Hutchinson, Rademacher vectors, with its standard error) and the eigenvalue"
                        + " density (stochastic Lanczos quadrature)."})
final class HessianCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "FILE", required = true, description = "The model, in safetensors.")
    Path checkpoint;

    @CommandLine.Mixin
    DataOption data;

    @Option(names = "--model", paramLabel = "NAME", description = "The zoo model the checkpoint holds: ${COMPLETION-CANDIDATES}"
            + " (default: what its metadata records, else mlp).", completionCandidates = ModelOptions.ZooNames.class)
    String modelName;

    @Option(names = "--activation", paramLabel = "NAME",
            description = "relu, tanh or sigmoid, for a file whose metadata does not name one (as PyTorch's).")
    String activation;

    @Option(names = "--allow-other-data", description = "Analyse even on other data than the checkpoint was trained on.")
    boolean allowOtherData;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "1000",
            description = "Use the first N test images (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1000",
            description = "Images per Hessian-vector-product program; N is covered in batches (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "1", description = "Eigenvalues of largest magnitude (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--max-iterations", paramLabel = "N", defaultValue = "100",
            description = "Power iteration cap per eigenvalue (default: ${DEFAULT-VALUE}, as PyHessian).")
    int maxIterations;

    @Option(names = "--tolerance", paramLabel = "X", defaultValue = "1e-3",
            description = "Power iteration: stop when the eigenvalue changes by at most this, relative (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--trace-samples", paramLabel = "N", defaultValue = "100",
            description = "Hutchinson: at most this many vectors (default: ${DEFAULT-VALUE}).")
    int traceSamples;

    @Option(names = "--trace-tolerance", paramLabel = "X", defaultValue = "1e-3",
            description = "Hutchinson: stop when the mean moves by at most this, relative (default: ${DEFAULT-VALUE}).")
    double traceTolerance;

    @Option(names = "--lanczos-steps", paramLabel = "N", defaultValue = "100",
            description = "SLQ: Lanczos steps per run (default: ${DEFAULT-VALUE}).")
    int lanczosSteps;

    @Option(names = "--lanczos-runs", paramLabel = "N", defaultValue = "1",
            description = "SLQ: independent start vectors (default: ${DEFAULT-VALUE}).")
    int lanczosRuns;

    @Option(names = "--block-size", paramLabel = "K", defaultValue = "1",
            description = {"Hessian-vector products in blocks of K vectors (one program run for K products, wider"
                    + " GEMMs): block power iteration (subspace iteration; K at least --top-k), Hutchinson with K"
                    + " probes per block (the same estimate), block Lanczos (K probes per run, --lanczos-steps its"
                    + " order). Default: ${DEFAULT-VALUE}, single vectors."})
    int blockSize;

    @Option(names = "--grid", paramLabel = "N", defaultValue = "1000",
            description = "Points of the density grid (default: ${DEFAULT-VALUE}).")
    int grid;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed for the random vectors (default: ${DEFAULT-VALUE}).")
    long seed;

    @CommandLine.Mixin
    RunDirectory run;

    @Option(names = "--json", paramLabel = "FILE",
            description = {"Every result as JSON.", "Default: hessian.json in the run directory."})
    Path json;

    @Option(names = "--plot", paramLabel = "FILE",
            description = {"SVG plot of the eigenvalue density, the top eigenvalues and the trace.",
                    "Default: hessian-density.svg in the run directory."})
    Path plot;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads for the kernels (default and most: the"
            + " processors available).")
    Integer threads;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** What --json writes. */
    record Report(String checkpoint, String model, int samples, int blockSize, long parameters, double loss,
                  TopEigenvalues topEigenvalues, TraceEstimate trace, SpectralQuadrature quadrature,
                  SpectralDensity density, Map<String, Double> seconds) {}

    @Override
    public Integer call() throws IOException {
        OptionRanges.atLeast("--samples", samples, 1);
        OptionRanges.atLeast("--batch", batch, 1);
        OptionRanges.atLeast("--top-k", topK, 1);
        OptionRanges.atLeast("--max-iterations", maxIterations, 2);
        OptionRanges.nonNegative("--tolerance", tolerance);
        OptionRanges.atLeast("--trace-samples", traceSamples, 2);
        OptionRanges.nonNegative("--trace-tolerance", traceTolerance);
        OptionRanges.atLeast("--lanczos-steps", lanczosSteps, 1);
        OptionRanges.atLeast("--lanczos-runs", lanczosRuns, 1);
        OptionRanges.atLeast("--grid", grid, 2);
        OptionRanges.atLeast("--block-size", blockSize, 1);
        if (blockSize > 1 && topK > blockSize) {
            throw new IllegalArgumentException("--top-k " + topK + " needs --block-size at least " + topK
                    + " (block power iteration finds at most one eigenvalue per vector of its block), got " + blockSize);
        }
        Activation given = activation != null ? Activation.parse(activation) : null;
        Threads.configure(threads, spec.commandLine().getErr());
        PowerIteration.Settings powerSettings = new PowerIteration.Settings(topK, maxIterations, tolerance, seed);
        HutchinsonTrace.Settings traceSettings = new HutchinsonTrace.Settings(traceSamples, traceTolerance,
                HutchinsonTrace.StoppingRule.MEAN_CHANGE, seed);
        StochasticLanczosQuadrature.Settings slqSettings = new StochasticLanczosQuadrature.Settings(lanczosRuns, lanczosSteps, seed);
        if (plot == null) plot = run.file("hessian", "hessian-density.svg");
        if (json == null) json = run.file("hessian", "hessian.json");
        return run.within(() -> {
            OutputFiles.checkWritable("--plot", plot);
            OutputFiles.checkWritable("--json", json);
            OutputFiles.deleteStaleTemporaries(plot, json);
            return analyse(given, powerSettings, traceSettings, slqSettings);
        });
    }

    private Integer analyse(Activation given, PowerIteration.Settings powerSettings, HutchinsonTrace.Settings traceSettings,
                            StochasticLanczosQuadrature.Settings slqSettings) throws IOException {
        Checkpoint loaded = Checkpoint.load(checkpoint, given, modelName);
        loaded.checkActivationOption(checkpoint, given);
        loaded.requireFinite(checkpoint);
        Model model = loaded.toModel();
        Mnist mnist = data.load();
        if (!allowOtherData) {
            DataIdentity.of(mnist).check(loaded.metadata(), checkpoint, Path.of(data.describe()), false, "--allow-other-data");
        }
        if (mnist.test().pixelsPerImage() != model.inputWidth()) {
            throw new IllegalArgumentException(checkpoint + " takes " + model.inputWidth() + " inputs, but the test images have "
                    + mnist.test().pixelsPerImage() + " pixels");
        }
        OptionRanges.between("--samples", samples, 1, mnist.test().count(), "the test images");
        OptionRanges.between("--top-k", topK, 1, (int) Math.min(Integer.MAX_VALUE, model.parameterCount()), "the parameters");
        DatasetHessian hessian = new DatasetHessian(model, mnist.test(), samples, batch, blockSize);
        PrintWriter out = spec.commandLine().getOut();
        String module = loaded.torchModule();
        out.printf(Locale.ROOT, "%s: %s, %,d parameters; Hessian of the mean test loss over %d images%n",
                checkpoint, module, model.parameterCount(), samples);
        out.flush();
        Map<String, Double> seconds = new LinkedHashMap<>();

        long t0 = System.nanoTime();
        TopEigenvalues top = (blockSize > 1 ? BlockPowerIteration.topEigenpairs(hessian, powerSettings)
                : PowerIteration.topEigenpairs(hessian, powerSettings)).eigenvalues();
        seconds.put("top_eigenvalues", (System.nanoTime() - t0) / 1e9);
        for (int i = 0; i < top.eigenvalues().length; i++) {
            out.printf(Locale.ROOT, "eigenvalue %d: %.6g  (residual %.2g, %d iterations%s)%n", i + 1, top.eigenvalues()[i],
                    top.residualNorms()[i], top.iterations()[i], top.converged()[i] ? "" : ", NOT converged");
        }
        out.flush();

        t0 = System.nanoTime();
        TraceEstimate trace = blockSize > 1 ? HutchinsonTrace.estimate((BlockLinearOperator) hessian, traceSettings)
                : HutchinsonTrace.estimate((LinearOperator) hessian, traceSettings);
        seconds.put("trace", (System.nanoTime() - t0) / 1e9);
        out.printf(Locale.ROOT, "trace: %.6g ± %.2g (standard error, %d Rademacher vectors%s)%n", trace.mean(),
                trace.standardError(), trace.samples(), trace.converged() ? "" : ", cap reached");
        out.flush();

        t0 = System.nanoTime();
        SpectralQuadrature quadrature = blockSize > 1 ? BlockLanczosQuadrature.run(hessian, slqSettings)
                : StochasticLanczosQuadrature.run(hessian, slqSettings);
        SpectralDensity density = SpectralDensity.of(quadrature, grid);
        seconds.put("density", (System.nanoTime() - t0) / 1e9);
        out.printf(Locale.ROOT, "density: Ritz values in [%.6g, %.6g], %d Lanczos steps x %d runs; SLQ trace estimate %.6g%n",
                quadrature.minNode(), quadrature.maxNode(), quadrature.steps()[0], lanczosRuns,
                quadrature.moment(1) * quadrature.dimension());

        writePlot(density, top, trace, module);
        out.println("density plot: " + plot);
        Report report = new Report(checkpoint.toString(), module, samples, blockSize, model.parameterCount(), hessian.loss(),
                top, trace, quadrature, density, seconds);
        Gson gson = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();
        byte[] bytes = gson.toJson(report).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(json, o -> o.write(bytes));
        out.println("results: " + json);
        out.flush();
        return 0;
    }

    /** The density on a log scale, as PyHessian plots it, as SVG ({@link HessianPlot}). */
    private void writePlot(SpectralDensity density, TopEigenvalues top, TraceEstimate trace, String module) throws IOException {
        byte[] svg = HessianPlot.svg(module, samples, density.grid(), density.density(), top.eigenvalues(), trace.mean(),
                trace.standardError(), trace.samples()).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(plot, o -> o.write(svg));
    }
}
