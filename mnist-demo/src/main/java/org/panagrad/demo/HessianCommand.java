package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import org.panagrad.analysis.HutchinsonTrace;
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
        description = {"Loss-landscape analysis of a checkpoint, as PyHessian computes it, with Hessian-vector products"
                + " of the mean test loss over the first N test images:",
                " the top-k eigenvalues (power iteration with deflation), the trace (Hutchinson, Rademacher vectors,"
                        + " with its standard error) and the eigenvalue density (stochastic Lanczos quadrature),"
                        + " printed, written as JSON with --json, and plotted as SVG."})
final class HessianCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "FILE", required = true, description = "The model, in safetensors.")
    Path checkpoint;

    @CommandLine.Mixin
    DataOption data;

    @Option(names = "--activation", description = "relu, tanh or sigmoid, for a checkpoint whose metadata does not say.")
    String activation;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "1000",
            description = "Use the first N test images (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--batch", defaultValue = "1000",
            description = "Images per Hessian-vector-product program; N is covered in batches (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "1", description = "Eigenvalues of largest magnitude (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--max-iterations", defaultValue = "100",
            description = "Power iteration cap per eigenvalue (default: ${DEFAULT-VALUE}, as PyHessian).")
    int maxIterations;

    @Option(names = "--tolerance", defaultValue = "1e-3",
            description = "Power iteration: stop when the eigenvalue changes by at most this, relative (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--trace-samples", defaultValue = "100", description = "Hutchinson: at most this many vectors (default: ${DEFAULT-VALUE}).")
    int traceSamples;

    @Option(names = "--trace-tolerance", defaultValue = "1e-3",
            description = "Hutchinson: stop when the mean moves by at most this, relative (default: ${DEFAULT-VALUE}).")
    double traceTolerance;

    @Option(names = "--lanczos-steps", defaultValue = "100", description = "SLQ: Lanczos steps per run (default: ${DEFAULT-VALUE}).")
    int lanczosSteps;

    @Option(names = "--lanczos-runs", defaultValue = "1", description = "SLQ: independent start vectors (default: ${DEFAULT-VALUE}).")
    int lanczosRuns;

    @Option(names = "--grid", defaultValue = "1000", description = "Points of the density grid (default: ${DEFAULT-VALUE}).")
    int grid;

    @Option(names = "--seed", defaultValue = "1", description = "Seed for the random vectors (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", paramLabel = "FILE", description = "Write every result as JSON.")
    Path json;

    @Option(names = "--plot", paramLabel = "FILE", defaultValue = "hessian-density.svg",
            description = "SVG plot of the eigenvalue density, the top eigenvalues and the trace (default: ${DEFAULT-VALUE}).")
    Path plot;

    @Option(names = "--threads", description = "Worker threads for the kernels (default: the number of cores).")
    Integer threads;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** What --json writes. */
    record Report(String checkpoint, String model, int samples, long parameters, double loss,
                  TopEigenvalues topEigenvalues, TraceEstimate trace, SpectralQuadrature quadrature,
                  SpectralDensity density, Map<String, Double> seconds) {}

    @Override
    public Integer call() throws IOException {
        Threads.configure(threads != null ? threads : Threads.available());
        PowerIteration.Settings powerSettings = new PowerIteration.Settings(topK, maxIterations, tolerance, seed);
        HutchinsonTrace.Settings traceSettings = new HutchinsonTrace.Settings(traceSamples, traceTolerance,
                HutchinsonTrace.StoppingRule.MEAN_CHANGE, seed);
        StochasticLanczosQuadrature.Settings slqSettings = new StochasticLanczosQuadrature.Settings(lanczosRuns, lanczosSteps, seed);
        if (grid < 2) throw new IllegalArgumentException("--grid must be at least 2, got " + grid);
        Checkpoint loaded = Checkpoint.load(checkpoint, activation != null ? Activation.parse(activation) : null);
        Model model = loaded.toModel();
        Mnist mnist = data.load();
        if (mnist.test().pixelsPerImage() != model.inputWidth()) {
            throw new IllegalArgumentException(checkpoint + " takes " + model.inputWidth() + " inputs, but the test images have "
                    + mnist.test().pixelsPerImage() + " pixels");
        }
        if (topK > model.mlp.parameterCount()) {
            throw new IllegalArgumentException("--top-k " + topK + " exceeds the " + model.mlp.parameterCount() + " parameters");
        }
        DatasetHessian hessian = new DatasetHessian(model, mnist.test(), samples, batch);
        PrintWriter out = spec.commandLine().getOut();
        String module = Checkpoint.torchModule(loaded.widths(), loaded.activation());
        out.printf(Locale.ROOT, "%s: %s, %,d parameters; Hessian of the mean test loss over %d images%n",
                checkpoint, module, model.mlp.parameterCount(), samples);
        out.flush();
        Map<String, Double> seconds = new LinkedHashMap<>();

        long t0 = System.nanoTime();
        TopEigenvalues top = PowerIteration.topEigenpairs(hessian, powerSettings).eigenvalues();
        seconds.put("top_eigenvalues", (System.nanoTime() - t0) / 1e9);
        for (int i = 0; i < top.eigenvalues().length; i++) {
            out.printf(Locale.ROOT, "eigenvalue %d: %.6g  (residual %.2g, %d iterations%s)%n", i + 1, top.eigenvalues()[i],
                    top.residualNorms()[i], top.iterations()[i], top.converged()[i] ? "" : ", NOT converged");
        }
        out.flush();

        t0 = System.nanoTime();
        TraceEstimate trace = HutchinsonTrace.estimate(hessian, traceSettings);
        seconds.put("trace", (System.nanoTime() - t0) / 1e9);
        out.printf(Locale.ROOT, "trace: %.6g ± %.2g (standard error, %d Rademacher vectors%s)%n", trace.mean(),
                trace.standardError(), trace.samples(), trace.converged() ? "" : ", cap reached");
        out.flush();

        t0 = System.nanoTime();
        SpectralQuadrature quadrature = StochasticLanczosQuadrature.run(hessian, slqSettings);
        SpectralDensity density = SpectralDensity.of(quadrature, grid);
        seconds.put("density", (System.nanoTime() - t0) / 1e9);
        out.printf(Locale.ROOT, "density: Ritz values in [%.6g, %.6g], %d Lanczos steps x %d runs; SLQ trace estimate %.6g%n",
                quadrature.minNode(), quadrature.maxNode(), quadrature.steps()[0], lanczosRuns,
                quadrature.moment(1) * quadrature.dimension());

        writePlot(density, top, trace, module);
        out.println("density plot: " + plot);
        if (json != null) {
            Report report = new Report(checkpoint.toString(), module, samples, model.mlp.parameterCount(), hessian.loss(),
                    top, trace, quadrature, density, seconds);
            Gson gson = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();
            byte[] bytes = gson.toJson(report).getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(json, o -> o.write(bytes));
            out.println("results: " + json);
        }
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
