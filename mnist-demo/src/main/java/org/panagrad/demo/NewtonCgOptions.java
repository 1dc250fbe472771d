package org.panagrad.demo;

import picocli.CommandLine.Option;

/**
 * {@code --curvature-batch}, {@code --cg-iterations} and {@code --damping}: the settings of Newton-CG that the
 * other optimizers do not have, so that giving one with another optimizer is an error, not silently ignored.
 */
final class NewtonCgOptions {
    /** At most this many CG iterations per step: enough for MNIST's MLPs at a fraction of Martens' 250. */
    static final int DEFAULT_CG_ITERATIONS = 10;
    static final double DEFAULT_DAMPING = 1.0;

    @Option(names = "--curvature-batch", paramLabel = "N",
            description = "newton-cg only: Gauss-Newton products on the first N images of each batch (default: batch/4).")
    Integer curvatureBatch;

    @Option(names = "--cg-iterations", paramLabel = "N",
            description = "newton-cg only: conjugate-gradient iterations per step at most (default: " + DEFAULT_CG_ITERATIONS + ").")
    Integer cgIterations;

    @Option(names = "--damping", paramLabel = "LAMBDA",
            description = "newton-cg only: the initial Levenberg-Marquardt damping, adapted each step (default: "
                    + DEFAULT_DAMPING + ").")
    Double damping;

    /** Fails, naming the option, when one of these was given for an optimizer other than Newton-CG. */
    void checkGivenOnlyFor(OptimizerChoice optimizer) {
        if (optimizer == OptimizerChoice.NEWTON_CG) return;
        String given = curvatureBatch != null ? "--curvature-batch" : cgIterations != null ? "--cg-iterations"
                : damping != null ? "--damping" : null;
        if (given != null) {
            throw new IllegalArgumentException(given + " applies only to --optimizer newton-cg, not " + optimizer);
        }
    }

    /** Checks the values given, before any work (the curvature batch once the batch size is known). */
    void check() {
        if (curvatureBatch != null) OptionRanges.atLeast("--curvature-batch", curvatureBatch, 1);
        cgIterations();
        damping();
    }

    /** The curvature sub-batch for minibatches of {@code batch} images. */
    int curvatureBatch(int batch) {
        int n = curvatureBatch != null ? curvatureBatch : Math.max(1, batch / 4);
        return OptionRanges.between("--curvature-batch", n, 1, batch, "the batch size");
    }

    int cgIterations() {
        return OptionRanges.atLeast("--cg-iterations", cgIterations != null ? cgIterations : DEFAULT_CG_ITERATIONS, 1);
    }

    double damping() {
        return OptionRanges.positive("--damping", damping != null ? damping : DEFAULT_DAMPING);
    }
}
