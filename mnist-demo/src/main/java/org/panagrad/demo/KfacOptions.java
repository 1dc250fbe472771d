package org.panagrad.demo;

import org.panagrad.curvature.KfacOptimizer;
import picocli.CommandLine.Option;

/**
 * The settings of K-FAC that the other optimizers do not have ({@code --kfac-damping}, {@code --kfac-momentum},
 * {@code --kl-clip}, {@code --factor-interval}, {@code --inverse-interval}): given with another optimizer they
 * are an error, not silently ignored.
 */
final class KfacOptions {
    /**
     * Halving every half epoch: clipped K-FAC steps otherwise keep a constant size, and on 784-500-10 the test
     * loss rose after the first epoch (0.093, 0.110, 0.137, 0.174, 0.206) while this schedule reached 98.24% in two
     * (bench/results/2026-12-05-zen5-kfac.md).
     */
    static final long DEFAULT_LR_STEP = 234;
    static final double DEFAULT_LR_GAMMA = 0.5;

    @Option(names = "--kfac-damping", paramLabel = "GAMMA",
            description = "kfac only: Tikhonov damping of the Kronecker-factored Fisher (default: 0.001).")
    Double damping;

    @Option(names = "--kfac-momentum", paramLabel = "MU", description = "kfac only: heavy-ball momentum (default: 0.9).")
    Double momentum;

    @Option(names = "--kl-clip", paramLabel = "KAPPA",
            description = "kfac only: bound on each step's predicted KL divergence lr^2 d'g; 0 turns it off (default: 0.0001).")
    Double klClip;

    @Option(names = "--factor-interval", paramLabel = "N", description = "kfac only: steps between updates of the factors (default: 10).")
    Integer factorInterval;

    @Option(names = "--inverse-interval", paramLabel = "N",
            description = "kfac only: steps between eigen-decompositions and inverses of the factors (default: 100).")
    Integer inverseInterval;

    @Option(names = "--kfac-lr-step", paramLabel = "N",
            description = "kfac only: multiply the learning rate by --kfac-lr-gamma every N steps; 0: never (default: "
                    + DEFAULT_LR_STEP + ", half an epoch of MNIST at batch 128).")
    Long lrStepSize;

    @Option(names = "--kfac-lr-gamma", paramLabel = "G", description = "kfac only: the factor of each decay (default: " + DEFAULT_LR_GAMMA + ").")
    Double lrGamma;

    /** Fails, naming the option, when one of these was given for an optimizer other than K-FAC. */
    void checkGivenOnlyFor(OptimizerChoice optimizer) {
        if (optimizer == OptimizerChoice.KFAC) return;
        String given = damping != null ? "--kfac-damping" : momentum != null ? "--kfac-momentum"
                : klClip != null ? "--kl-clip" : factorInterval != null ? "--factor-interval"
                : inverseInterval != null ? "--inverse-interval" : lrStepSize != null ? "--kfac-lr-step"
                : lrGamma != null ? "--kfac-lr-gamma" : null;
        if (given != null) throw new IllegalArgumentException(given + " applies only to --optimizer kfac, not " + optimizer);
    }

    /** The optimizer's options: the defaults with what was given (the options record checks the values). */
    KfacOptimizer.Options options(double lr, long seed) {
        KfacOptimizer.Options d = KfacOptimizer.Options.defaults();
        return new KfacOptimizer.Options(lr, damping != null ? damping : d.damping(), momentum != null ? momentum : d.momentum(),
                klClip != null ? klClip : d.klClip(), d.decay(), factorInterval != null ? factorInterval : d.factorInterval(),
                inverseInterval != null ? inverseInterval : d.inverseInterval(), seed,
                lrStepSize != null ? lrStepSize : DEFAULT_LR_STEP, lrGamma != null ? lrGamma : DEFAULT_LR_GAMMA);
    }
}
