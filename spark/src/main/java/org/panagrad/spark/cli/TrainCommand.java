package org.panagrad.spark.cli;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.optim.secondorder.Lbfgs;
import org.panagrad.optim.secondorder.NewtonCg;
import org.panagrad.spark.DatasetFunction;
import org.panagrad.spark.EpochStages;
import org.panagrad.spark.FlatUpdate;
import org.panagrad.spark.BarrierTraining;
import org.panagrad.spark.LocalLoss;
import org.panagrad.spark.LocalSgd;
import org.panagrad.spark.ModelSpec;
import org.panagrad.spark.ParameterFiles;
import org.panagrad.spark.Selection;
import org.panagrad.spark.Shard;
import org.panagrad.spark.ShardEvaluator;
import org.panagrad.spark.SparkLoss;
import org.panagrad.spark.StratifiedBatches;
import org.panagrad.spark.SynchronousTraining;
import org.panagrad.spark.TrainingState;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains on a Spark cluster: full-batch L-BFGS (strong Wolfe) or Newton-CG (Gauss-Newton products on a "
                + "sampled curvature batch) on the driver over distributed gradients; or data-parallel SGD/Adam, "
                + "synchronous (one aggregated gradient per global batch) or, with --local-steps K, local SGD with "
                + "parameter averaging every K steps.",
                "SGD and Adam train the model's training-mode graph, as PyTorch's DistributedDataParallel without "
                + "SyncBatchNorm: batch norm on each partition's batch statistics, its running statistics averaged over "
                + "the partitions after each epoch (round with --local-steps), dropout masks differing across partitions. "
                + "L-BFGS and Newton-CG minimise the deterministic evaluation-mode loss (running statistics, no dropout)."})
final class TrainCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ClusterOptions cluster;

    @Option(names = "--optimizer", defaultValue = "lbfgs", description = "lbfgs, newton-cg, sgd or adam (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--iterations", defaultValue = "20", description = "lbfgs and newton-cg: iterations (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--history", defaultValue = "10", description = "lbfgs: (s, y) pairs kept (default: ${DEFAULT-VALUE}).")
    int history;

    @Option(names = "--first-step", defaultValue = "unit-length",
            description = "lbfgs: the first iteration's trial step along -g: unit-length (1/|g|_2, as L-BFGS-B and MLlib's Breeze) "
                    + "or torch (min(1, 1/|g|_1), torch.optim.LBFGS's) (default: ${DEFAULT-VALUE}).")
    String firstStep;

    @Option(names = "--curvature-fraction", defaultValue = "0.1",
            description = "newton-cg: the sampled fraction of the training set for Gauss-Newton products (default: ${DEFAULT-VALUE}).")
    double curvatureFraction;

    @Option(names = "--cg-iterations", defaultValue = "10", description = "newton-cg: CG iterations per step (default: ${DEFAULT-VALUE}).")
    int cgIterations;

    @Option(names = "--epochs", defaultValue = "1", description = "sgd and adam: epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--epochs-per-stage", paramLabel = "K", defaultValue = "0",
            description = "sgd and adam, synchronous: epochs per Spark barrier stage; 0 runs every epoch in one stage (default: ${DEFAULT-VALUE}). "
                    + "A stage costs 60-340 ms to start and end; the result does not depend on K, and every epoch's state reaches the "
                    + "driver as it ends (--save, --stage-retries), whatever K.")
    int epochsPerStage;

    @Option(names = "--verify-single-process",
            description = "sgd and adam, synchronous, models without batch norm: then run the same steps in this process "
                    + "(one step at a time on the driver's copy of the data) and fail unless every step's loss agrees within "
                    + "1e-5 and the parameters within 1e-4, relative: a check that the cluster computes single-process training.")
    boolean verifySingleProcess;

    @Option(names = "--batch", defaultValue = "1024",
            description = "sgd and adam: the global batch, split over the partitions; with --local-steps, the batch of each replica (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", description = "sgd: 0.1 by default; adam: 1e-3.")
    Double lr;

    @Option(names = "--momentum", defaultValue = "0.9", description = "sgd: heavy-ball momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--local-steps", defaultValue = "0",
            description = "sgd and adam: 0 for synchronous training, K > 0 for local SGD averaging every K steps (default: ${DEFAULT-VALUE}).")
    int localSteps;

    @Option(names = "--seed", defaultValue = "1", description = "Initialisation and shuffling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--save", paramLabel = "FILE",
            description = "Write the parameters, running statistics, optimizer state and the run's position (safetensors) for "
                    + "`hessian --checkpoint` and `train --resume`; sgd and adam rewrite it after every epoch, inside a barrier stage too (local SGD: every round).")
    Path save;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "Continue the run a `train --save` wrote: its parameters, running statistics and optimizer state, "
                    + "up to --epochs (sgd, adam) or --iterations (lbfgs, newton-cg) in all; the same optimizer and its settings, model, "
                    + "training data, partitions, batch, local steps and seed, so the result equals an uninterrupted run's.")
    Path resume;

    @Option(names = "--stage-retries", defaultValue = "0",
            description = "sgd and adam, synchronous: reruns of a failed barrier stage from the state after the last epoch it completed "
                    + "(Spark does not rerun a failed barrier stage itself) before the failure ends the run (default: ${DEFAULT-VALUE}).")
    int stageRetries;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The running statistics that training carries besides the parameters (batch norm); empty without. */
    private float[] buffers;

    /** What --save writes besides them: the optimizer state and the run's position. */
    private TrainingState state;

    /** The training set's content checksum, computed once per run. */
    private String dataChecksum;

    /**
     * What fixes a run's trajectory besides the model (the file's fingerprint) and --lr/--momentum (the optimizer's
     * state): the optimizer and its settings, the partitioning, the seed, and the training set (its size and a
     * checksum of its images and labels, so that other data at the same path, or the same data elsewhere, is told
     * apart by what it holds).
     */
    private java.util.Map<String, String> runSettings(ClusterOptions.Cluster c) {
        java.util.Map<String, String> m = new java.util.TreeMap<>();
        if (dataChecksum == null) dataChecksum = c.train().checksum();
        m.put("optimizer", optimizer);
        m.put("training images", Integer.toString(c.train().count()));
        m.put("training data checksum", dataChecksum);
        m.put("partitions", Integer.toString(cluster.partitions));
        m.put("seed", Long.toString(seed));
        switch (optimizer) {
            case "lbfgs" -> {
                m.put("history", Integer.toString(history));
                m.put("first step", firstStep);
            }
            case "newton-cg" -> {
                m.put("curvature fraction", Double.toString(curvatureFraction));
                m.put("cg iterations", Integer.toString(cgIterations));
            }
            default -> {
                m.put("batch", Integer.toString(batch));
                m.put("local steps", Integer.toString(localSteps));
            }
        }
        return m;
    }

    private java.util.Map<String, String> withPosition(ClusterOptions.Cluster c, String unit, int done) {
        java.util.Map<String, String> m = runSettings(c);
        m.put(unit, Integer.toString(done));
        return m;
    }

    /** Restores a driver-side optimizer from the resumed file; returns the iterations it had done (0 without --resume). */
    private static int resumeDriver(org.panagrad.optim.secondorder.ClosureOptimizer opt, TrainingState resumed, PrintWriter out) {
        if (resumed == null) return 0;
        opt.restore(resumed.optimizer());
        int done = resumed.count("iterations");
        out.printf(Locale.ROOT, "resumed after iteration %d%n", done);
        return done;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (!java.util.List.of("lbfgs", "newton-cg", "sgd", "adam").contains(optimizer)) {
            throw new IllegalArgumentException("--optimizer must be lbfgs, newton-cg, sgd or adam, got '" + optimizer + "'");
        }
        if (epochsPerStage < 0) throw new IllegalArgumentException("--epochs-per-stage must be 0 (all) or positive, got " + epochsPerStage);
        if (resume != null && verifySingleProcess) {
            throw new IllegalArgumentException("--resume continues a run without --verify-single-process (the check reruns the "
                    + "whole run from its start)");
        }
        Lbfgs.FirstStep lbfgsFirstStep = switch (firstStep) {
            case "unit-length" -> Lbfgs.FirstStep.UNIT_LENGTH;
            case "torch" -> Lbfgs.FirstStep.TORCH;
            default -> throw new IllegalArgumentException("--first-step must be unit-length or torch, got '" + firstStep + "'");
        };
        if (verifySingleProcess && (!java.util.List.of("sgd", "adam").contains(optimizer) || localSteps > 0)) {
            throw new IllegalArgumentException("--verify-single-process checks synchronous sgd or adam (--local-steps 0), got --optimizer "
                    + optimizer + " --local-steps " + localSteps);
        }
        try (ClusterOptions.Cluster c = cluster.open("panagrad train")) {
            SparkLoss loss = c.loss();
            ModelSpec model = cluster.spec();
            float[] theta = loss.initialParameters(seed);
            buffers = loss.initialBuffers(seed);
            TrainingState resumed = null;
            if (resume != null) {
                ParameterFiles.Checkpoint saved = ParameterFiles.loadCheckpoint(resume, model);
                theta = saved.parameters();
                buffers = saved.buffers();
                resumed = saved.requireState();
                resumed.requireSame(runSettings(c));
            }
            out.printf(Locale.ROOT, "%s, %,d parameters, %,d training images in %d partitions on %s; %s%n", model, loss.dimension(),
                    c.train().count(), cluster.partitions, cluster.master, optimizer);
            out.flush();
            long t0 = System.nanoTime();
            switch (optimizer) {
                case "lbfgs" -> {
                    DatasetFunction f = new DatasetFunction(loss, Selection.all(), theta);
                    Lbfgs opt = Lbfgs.minimizing(f, DatasetFunction.lbfgsOptions(history).withFirstStep(lbfgsFirstStep));
                    int done = resumeDriver(opt, resumed, out);
                    for (int i = done + 1; i <= iterations; i++) {
                        long t = System.nanoTime();
                        opt.step();
                        out.printf(Locale.ROOT, "iteration %d  loss %.6f  step %.3g%s  %d evaluations  %.2f s%n", i, opt.lastLoss(),
                                opt.lastStepSize(), opt.lastStepSatisfiedWolfe() ? "" : " (not Wolfe)", f.evaluations(), HessianCommand.seconds(t));
                        out.flush();
                    }
                    theta = f.parameters();
                    state = new TrainingState(opt.snapshot(), withPosition(c, "iterations", Math.max(done, iterations)));
                }
                case "newton-cg" -> {
                    try (DatasetFunction f = new DatasetFunction(loss, Selection.all(), Selection.sample(curvatureFraction, seed),
                            CurvatureProduct.Kind.GAUSS_NEWTON, theta)) {
                        NewtonCg opt = NewtonCg.minimizing(f, NewtonCg.Options.defaults().withMaxCgIterations(cgIterations));
                        int done = resumeDriver(opt, resumed, out);
                        for (int i = done + 1; i <= iterations; i++) {
                            long t = System.nanoTime();
                            opt.step();
                            out.printf(Locale.ROOT, "iteration %d  loss %.6f  CG %d  damping %.3g  rho %.3g  step %.3g  %.2f s%n", i,
                                    opt.lastLoss(), opt.lastCgIterations(), opt.damping(), opt.lastReductionRatio(), opt.lastStepSize(),
                                    HessianCommand.seconds(t));
                            out.flush();
                        }
                        theta = f.parameters();
                        state = new TrainingState(opt.snapshot(), withPosition(c, "iterations", Math.max(done, iterations)));
                    }
                }
                default -> theta = firstOrder(c, loss, theta, resumed, out);
            }
            out.printf(Locale.ROOT, "trained in %.1f s%n", HessianCommand.seconds(t0));
            ShardEvaluator eval = new ShardEvaluator(model, cluster.chunk);
            eval.setParameters(theta);
            eval.writeBuffers(buffers);
            Shard test = c.test();
            out.printf(Locale.ROOT, "test accuracy %.2f%% (%d images)%n", 100.0 * eval.correct(test) / test.count(), test.count());
            if (save != null) {
                ParameterFiles.save(save, model, theta, buffers, state);
                out.println("saved " + save);
            }
        }
        out.flush();
        return 0;
    }

    private float[] firstOrder(ClusterOptions.Cluster c, SparkLoss loss, float[] theta, TrainingState resumed, PrintWriter out)
            throws java.io.IOException {
        int n = loss.dimension();
        boolean adam = optimizer.equals("adam");
        FlatUpdate update = adam ? FlatUpdate.adam(n, lr != null ? lr : 1e-3) : FlatUpdate.sgd(n, lr != null ? lr : 0.1, momentum);
        int done = 0;
        String unit = localSteps > 0 ? "rounds" : "epochs";
        if (resumed != null) {
            update = FlatUpdate.restore(resumed.optimizer(), update);
            done = resumed.count(unit);
            out.printf(Locale.ROOT, "resumed after %s %d (%d steps)%n", unit.substring(0, unit.length() - 1), done, update.steps());
        }
        if (localSteps > 0) {
            int perEpoch = c.train().count() / cluster.partitions / batch;
            int rounds = Math.max(1, epochs * perEpoch / localSteps);
            LocalSgd opt = new LocalSgd(loss, update, theta, buffers, batch, localSteps, seed);
            for (int r = done + 1; r <= rounds; r++) {
                long t = System.nanoTime();
                double f = opt.round();
                out.printf(Locale.ROOT, "round %d  mean local loss %.4f  %d local steps  %.2f s%n", r, f, opt.steps(), HessianCommand.seconds(t));
                state = new TrainingState(opt.update().snapshot(), withPosition(c, unit, r));
                if (save != null) { // after every round (one job), so that a run stopped later resumes from here
                    ParameterFiles.save(save, cluster.spec(), opt.parameters(), opt.buffers(), state);
                    out.printf(Locale.ROOT, "  saved %s after round %d%n", save, r);
                }
                out.flush();
            }
            buffers = opt.buffers();
            if (state == null) state = new TrainingState(opt.update().snapshot(), withPosition(c, unit, Math.max(done, rounds)));
            return opt.parameters();
        }
        long[][] layout = loss.layout();
        int[] counts = new int[layout[1].length];
        for (int i = 0; i < counts.length; i++) counts[i] = (int) layout[1][i];
        StratifiedBatches batches = new StratifiedBatches(layout[0], counts, batch, seed);
        BarrierTraining training = new BarrierTraining(loss, batches);
        SynchronousTraining reference = verifySingleProcess
                ? new SynchronousTraining(new LocalLoss(cluster.spec(), c.train(), cluster.chunk), batches, update.copy(), theta) : null;
        double[] losses = new double[epochs * batches.stepsPerEpoch()];
        int steps = batches.stepsPerEpoch(), perStage = epochsPerStage == 0 ? Math.max(1, epochs - done) : epochsPerStage;
        EpochStages stages = new EpochStages(training::run, steps, perStage, stageRetries);
        EpochStages.State end = stages.run(new EpochStages.State(done, theta, buffers, update), epochs, new EpochStages.Listener() {
            @Override
            public void epochEnded(EpochStages.State after, double[] epochLosses) throws java.io.IOException {
                int e = after.epochsDone();
                System.arraycopy(epochLosses, 0, losses, (e - 1) * steps, epochLosses.length);
                out.printf(Locale.ROOT, "epoch %d  train loss %.4f%n", e, java.util.Arrays.stream(epochLosses).average().orElse(Double.NaN));
                saveAfter(after);
            }

            @Override
            public void completed(int first, int count, BarrierTraining.Result stage, EpochStages.State after, double secs)
                    throws java.io.IOException {
                System.arraycopy(stage.losses(), 0, losses, first * steps, stage.losses().length);
                // the stage's earlier epochs came as they ended (epochEnded)
                out.printf(Locale.ROOT, "epoch %d  train loss %.4f%n", first + count, stage.meanLoss((count - 1) * steps, count * steps));
                out.printf(Locale.ROOT, "  epochs %d-%d: %d steps of %d in one barrier stage of %d tasks  %.1f s (%.0f images/s; "
                                + "task 0: %.2f s start-up, %.2f s gradients, %.2f s all-reduce)%n", first + 1, first + count,
                        count * steps, batch, training.tasks(), secs, (double) count * steps * batch / secs,
                        stage.setupSeconds(), stage.computeSeconds(), stage.exchangeSeconds());
                saveAfter(after);
            }

            /** The state after an epoch: kept for the end, and written to --save, so that a run stopped later resumes from here. */
            private void saveAfter(EpochStages.State after) throws java.io.IOException {
                state = new TrainingState(after.update().snapshot(), withPosition(c, "epochs", after.epochsDone()));
                if (save != null) {
                    ParameterFiles.save(save, cluster.spec(), after.parameters(), after.buffers(), state);
                    out.printf(Locale.ROOT, "  saved %s after epoch %d%n", save, after.epochsDone());
                }
                out.flush();
            }

            @Override
            public void retrying(int first, int count, int attempt, RuntimeException failure) {
                out.printf(Locale.ROOT, "  the stage failed (attempt %d of %d): %s; rerunning epochs %d-%d from the state after %d epochs%n",
                        attempt, stageRetries + 1, failure.getMessage(), first + 1, first + count, first);
                out.flush();
            }
        });
        theta = end.parameters();
        buffers = end.buffers();
        if (state == null) state = new TrainingState(end.update().snapshot(), withPosition(c, "epochs", end.epochsDone()));
        if (reference != null) verify(reference, losses, theta, out);
        return theta;
    }

    /** Runs the reference over the same steps and fails unless the distributed losses and parameters agree with it. */
    private static void verify(SynchronousTraining reference, double[] losses, float[] theta, PrintWriter out) {
        long t = System.nanoTime();
        double worstLoss = 0;
        for (int i = 0; i < losses.length; i++) {
            double expected = reference.step();
            worstLoss = Math.max(worstLoss, Math.abs(losses[i] - expected) / Math.abs(expected));
        }
        float[] ref = reference.parameters();
        double diff = 0, scale = 0;
        for (int i = 0; i < ref.length; i++) {
            diff = Math.max(diff, Math.abs(theta[i] - ref[i]));
            scale = Math.max(scale, Math.abs(ref[i]));
        }
        double worstParameter = diff / scale;
        out.printf(Locale.ROOT, "single process, the same %d steps in %.1f s: losses agree within %.2g (relative, worst step), "
                + "parameters within %.2g (max |difference| / max |parameter|)%n", losses.length, HessianCommand.seconds(t), worstLoss, worstParameter);
        out.flush();
        if (!(worstLoss <= 1e-5 && worstParameter <= 1e-4)) {
            throw new IllegalStateException("distributed training left single-process training: losses differ by up to " + worstLoss
                    + " (tolerance 1e-5), parameters by " + worstParameter + " (tolerance 1e-4)");
        }
    }
}
