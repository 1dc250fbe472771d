package org.panagrad.demo;

import picocli.CommandLine.Option;

import java.io.PrintWriter;

/**
 * train's DP-SGD options: with --dp-clip and --dp-noise, a first-order optimizer updates with clipped, noised
 * per-sample gradients ({@link PrivateBatchStep}), and the privacy spent is printed after every epoch.
 */
final class DpOptions {
    @Option(names = "--dp-clip", paramLabel = "C",
            description = "DP-SGD: clip each image's gradient to norm C (with --dp-noise; first-order optimizers only).")
    Double clip;

    @Option(names = "--dp-noise", paramLabel = "SIGMA",
            description = "DP-SGD: add Gaussian noise of SIGMA times the clipping norm to each batch's summed gradient.")
    Double noise;

    @Option(names = "--dp-delta", paramLabel = "D", defaultValue = "1e-5",
            description = "DP-SGD: report epsilon for this delta after each epoch (default: ${DEFAULT-VALUE}).")
    double delta;

    boolean enabled() {
        if ((clip == null) != (noise == null)) {
            throw new IllegalArgumentException("DP-SGD needs both --dp-clip and --dp-noise");
        }
        return clip != null;
    }

    /** The DP-SGD step for the optimizer, or the optimizer's own step when DP-SGD is off. */
    BatchStep.Factory wrap(OptimizerChoice optimizer, OptimizerChoice.Settings settings, int trainingImages, long seed,
                           PrintWriter out) {
        if (!enabled()) return (m, full, last) -> optimizer.create(m, full, last, settings);
        if (optimizer.kind != OptimizerChoice.Kind.COMPILED) {
            throw new IllegalArgumentException("DP-SGD clips per-sample gradients inside a compiled step: --optimizer "
                    + optimizer + " runs programs of its own; use " + OptimizerChoice.names(OptimizerChoice.Kind.COMPILED));
        }
        if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("--dp-delta must be in (0, 1), got " + delta);
        return (m, full, last) -> new PrivateBatchStep(m, optimizer.cliName, optimizer.compiled(settings), full, last,
                clip, noise, delta, trainingImages, seed, out);
    }
}
