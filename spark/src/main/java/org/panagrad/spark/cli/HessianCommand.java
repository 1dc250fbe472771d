package org.panagrad.spark.cli;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.HutchinsonTrace;
import org.panagrad.analysis.PowerIteration;
import org.panagrad.analysis.SpectralQuadrature;
import org.panagrad.analysis.StochasticLanczosQuadrature;
import org.panagrad.analysis.TopEigenvalues;
import org.panagrad.analysis.TraceEstimate;
import org.panagrad.spark.DatasetLoss;
import org.panagrad.spark.ParameterFiles;
import org.panagrad.spark.Selection;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "hessian", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"PyHessian's analysis of the whole training set's Hessian on a Spark cluster: every Hessian-vector "
                + "product is one distributed job over the cached partitions, and the engine's power iteration, "
                + "Hutchinson trace and stochastic Lanczos quadrature run on the driver unchanged.",
                "The loss is the model's deterministic evaluation-mode loss: batch norm reads the running statistics "
                + "(those `train --save` wrote with --checkpoint, else the initial ones), dropout is off."})
final class HessianCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ClusterOptions cluster;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "Parameters saved by `train --save` (default: the seeded initialisation).")
    Path checkpoint;

    @Option(names = "--seed", defaultValue = "1", description = "Initialisation and random-vector seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--curvature", defaultValue = "hessian", description = "hessian or ggn (Gauss-Newton) (default: ${DEFAULT-VALUE}).")
    String curvature;

    @Option(names = "--top-k", defaultValue = "1", description = "Eigenvalues of largest magnitude (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--max-iterations", defaultValue = "20", description = "Power iteration cap per eigenvalue (default: ${DEFAULT-VALUE}).")
    int maxIterations;

    @Option(names = "--tolerance", defaultValue = "1e-3", description = "Power iteration relative tolerance (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--trace-samples", defaultValue = "10", description = "Hutchinson vectors at most (default: ${DEFAULT-VALUE}).")
    int traceSamples;

    @Option(names = "--lanczos-steps", defaultValue = "10", description = "SLQ Lanczos steps (default: ${DEFAULT-VALUE}; 0 skips it).")
    int lanczosSteps;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CurvatureProduct.Kind kind = switch (curvature) {
            case "hessian" -> CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE;
            case "ggn" -> CurvatureProduct.Kind.GAUSS_NEWTON;
            default -> throw new IllegalArgumentException("--curvature must be hessian or ggn, got '" + curvature + "'");
        };
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        try (ClusterOptions.Cluster c = cluster.open("panagrad hessian")) {
            float[] theta = c.loss().initialParameters(seed);
            if (checkpoint != null) {
                ParameterFiles.Checkpoint saved = ParameterFiles.loadCheckpoint(checkpoint, cluster.spec());
                theta = saved.parameters();
                c.loss().setBuffers(saved.buffers());
            }
            out.printf(Locale.ROOT, "%s on %s, %d partitions (%s); %,d parameters (fingerprint %s); %s of the mean loss over %,d training images%n",
                    cluster.spec(), cluster.master, cluster.partitions, c.context().version(), c.loss().dimension(),
                    c.loss().fingerprint(), curvature, c.train().count());
            out.printf(Locale.ROOT, "started in %.1f s%n", seconds(t0));
            out.flush();
            try (DatasetLoss.Curvature h = c.loss().curvature(theta, Selection.all(), kind)) {
                long t = System.nanoTime();
                TopEigenvalues top = PowerIteration.topEigenpairs(h, new PowerIteration.Settings(topK, maxIterations, tolerance, seed)).eigenvalues();
                for (int i = 0; i < topK; i++) {
                    out.printf(Locale.ROOT, "eigenvalue %d: %.6g  (residual %.2g, %d iterations%s)%n", i + 1, top.eigenvalues()[i],
                            top.residualNorms()[i], top.iterations()[i], top.converged()[i] ? "" : ", NOT converged");
                }
                out.printf(Locale.ROOT, "  %.1f s, %.0f ms per distributed product%n", seconds(t), 1e3 * seconds(t) / top.products());
                out.flush();
                t = System.nanoTime();
                TraceEstimate trace = HutchinsonTrace.estimate(h, new HutchinsonTrace.Settings(Math.max(2, traceSamples), 1e-3,
                        HutchinsonTrace.StoppingRule.MEAN_CHANGE, seed));
                out.printf(Locale.ROOT, "trace: %.6g ± %.2g (standard error, %d Rademacher vectors), %.1f s%n", trace.mean(),
                        trace.standardError(), trace.samples(), seconds(t));
                out.flush();
                if (lanczosSteps > 0) {
                    t = System.nanoTime();
                    SpectralQuadrature q = StochasticLanczosQuadrature.run(h, new StochasticLanczosQuadrature.Settings(1, lanczosSteps, seed));
                    out.printf(Locale.ROOT, "density: Ritz values in [%.6g, %.6g], %d Lanczos steps; SLQ trace estimate %.6g, %.1f s%n",
                            q.minNode(), q.maxNode(), q.steps()[0], q.moment(1) * q.dimension(), seconds(t));
                }
            }
        }
        out.printf(Locale.ROOT, "done in %.1f s%n", seconds(t0));
        out.flush();
        return 0;
    }

    static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
