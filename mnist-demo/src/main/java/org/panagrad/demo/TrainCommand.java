package org.panagrad.demo;

import org.panagrad.io.Mnist;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains a model of the zoo on MNIST or Fashion-MNIST, printing the test loss and accuracy after each epoch.",
                "Writes the model (PyTorch's safetensors layout) and the metrics into a run directory after every epoch."
                        + " Ctrl-C saves after the current step and exits; --resume continues from there.",
                "A step whose loss or gradient is NaN or infinite stops the run, keeping the last good checkpoint."})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    DataOption data;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--batch", paramLabel = "N", description = "Images per step (default: 128; 500 for newton-cg, 1000 for"
            + " lbfgs; when resuming, the checkpoint's).")
    Integer batch;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "10",
            description = "Passes over the training images (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--optimizer", paramLabel = "NAME", converter = OptimizerChoice.Converter.class,
            completionCandidates = OptimizerChoice.Candidates.class,
            description = {"One of ${COMPLETION-CANDIDATES} (default: the model's: adamw for vit-tiny, else momentum:"
                    + " SGD with momentum 0.9).",
                    "newton-cg, adahessian, lbfgs and kfac are second-order (closure) optimizers: their programs are compiled"
                            + " for one batch size, so they skip the last partial batch of each epoch (drop_last)."})
    OptimizerChoice optimizer;

    @Option(names = "--lr", paramLabel = "X", description = "Learning rate, the schedule's peak (default: 0.002 for vit-tiny"
            + " with adamw; else 0.1 for sgd, 0.05 for momentum, 0.001 for adam and adamw, 0.05 for adahessian, 0.02 for"
            + " kfac, 1 for lbfgs (its first trial step); newton-cg has none).")
    Double lr;

    @Mixin
    ScheduleOptions schedule;

    @Mixin
    NewtonCgOptions newtonCg;

    @Mixin
    DpOptions dp;

    @Mixin
    KfacOptions kfac;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads for the kernels (default and most: the"
            + " processors available).")
    Integer threads;

    @Option(names = "--seed", paramLabel = "N", description = "Seed for the initial weights and the shuffling (default: 1; when resuming,"
            + " the checkpoint's).")
    Long seed;

    @Option(names = "--init", paramLabel = "NAME", defaultValue = "torch_default", converter = InitConverter.class,
            completionCandidates = InitConverter.Candidates.class,
            description = "Weight initialization: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}, as nn.Linear).")
    Init init;

    @Option(names = "--samples", paramLabel = "N", description = "Train on the first N training images only (default: all).")
    Integer samples;

    @Mixin
    RunDirectory run;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = {"Where to save the model and, beside it, the"
            + " optimizer's state, after every epoch.", "Default: model.safetensors in the run directory."})
    Path checkpoint;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Also save every N steps (default: after each"
            + " epoch only). Every save is atomic: a killed run leaves the last complete checkpoint.")
    Integer checkpointEvery;

    @Option(names = "--resume", paramLabel = "FILE", description = {"Continue from this checkpoint, with the optimizer's"
            + " state saved beside it: the run goes on exactly as if it had not stopped.",
            "Its batch size, seed and sample count are used unless given; giving another, or another --activation or"
            + " data, is an error unless --allow-mismatch names it."})
    Path resume;

    @Option(names = "--allow-mismatch", paramLabel = "LIST", split = ",", hideParamSyntax = true,
            description = "Resume even though these differ from the checkpoint: any of activation, batch, seed, samples,"
                    + " data, schedule (comma-separated). The run then no longer continues the checkpoint's exactly.")
    List<String> allowMismatch;

    @Option(names = "--metrics", paramLabel = "FILE", description = {"Per-epoch metrics as JSON lines, and a chart of"
            + " the curves beside it (.png).", "Default: metrics.jsonl in the run directory."})
    Path metrics;

    @Option(names = "--on-nonfinite", paramLabel = "WHAT", defaultValue = "stop", converter = NonFiniteConverter.class,
            description = {"stop (default): a NaN or infinite loss or gradient stops the run at that step.",
                    "skip: undo that step and go on, counting the skips, as mixed-precision loss scalers do"
                            + " (the run stops after " + Trainer.MAX_CONSECUTIVE_SKIPS + " in a row)."})
    Trainer.NonFinitePolicy onNonFinite;

    @Option(names = "--detect-anomaly", description = "Check every operation's output, and name the first that turns"
            + " finite values into NaN or infinity (slow: for finding where a run goes wrong).")
    boolean detectAnomaly;

    @Option(names = "--log-every", paramLabel = "N", description = "Print the loss every N steps.")
    Integer logEvery;

    /** --augment's padding, as torchvision's RandomCrop(28, padding=2). */
    static final int AUGMENT_PADDING = 2;

    @Option(names = "--augment", description = "Random crops with " + AUGMENT_PADDING + " pixels of zero padding"
            + " (torchvision's RandomCrop(28, padding=" + AUGMENT_PADDING + ")), for CNNs.")
    boolean augment;

    @Option(names = "--no-progress", description = "Do not show the progress bar (shown only on a terminal).")
    boolean noProgress;

    @Mixin
    TrainLogOptions logs;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Where TensorBoard's files and the report go, or null. */
    private Path logDirectory;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        // Everything that needs no file first: a bad value fails before anything is read or written.
        OptionRanges.atLeast("--epochs", epochs, 1);
        if (batch != null) OptionRanges.atLeast("--batch", batch, 1);
        if (samples != null) OptionRanges.atLeast("--samples", samples, 1);
        if (checkpointEvery != null) OptionRanges.atLeast("--checkpoint-every", checkpointEvery, 1);
        if (logEvery != null) OptionRanges.atLeast("--log-every", logEvery, 1);
        if (lr != null) OptionRanges.positive("--lr", lr);
        schedule.check(epochs);
        if (optimizer != null || resume == null) { // resuming, the model and so its default optimizer come from the file
            checkOptimizerOptions(optimizer != null ? optimizer
                    : ScheduleOptions.Recipe.of(modelOptions.model != null ? modelOptions.model : "mlp").optimizer());
        }
        newtonCg.check();
        int[] widths = modelOptions.layers != null ? Mlp.parseWidths(modelOptions.layers) : null;
        Activation activation = modelOptions.activationOrNull();
        Set<String> allowed = Resumption.allowedMismatches(allowMismatch, resume != null);
        Threads.configure(threads, err);

        Path ck = checkpoint != null ? checkpoint : run.file("train", "model.safetensors");
        Path metricsFile = metrics != null ? metrics : run.file("train", "metrics.jsonl");
        OptionRanges.atLeast("--histogram-every", logs.histogramEvery, 1);
        logDirectory = logs.directory(run, "train");
        return run.within(() -> {
            OutputFiles.checkWritable("--checkpoint", ck);
            OutputFiles.checkWritable("--metrics", metricsFile);
            OutputFiles.checkWritable("--metrics", metricsFile, MetricsLog.chartPath(metricsFile));
            return train(out, err, ck, metricsFile, widths, activation, allowed);
        });
    }

    /** The options that belong to one optimizer are errors with another. */
    private void checkOptimizerOptions(OptimizerChoice used) {
        newtonCg.checkGivenOnlyFor(used);
        kfac.checkGivenOnlyFor(used);
    }

    private Integer train(PrintWriter out, PrintWriter err, Path ck, Path metricsFile, int[] widths,
                          Activation activation, Set<String> allowed) throws IOException {
        AtomicReference<Trainer> training = new AtomicReference<>();
        try (Signals signals = new Signals(() -> {
            Trainer t = training.get();
            if (t == null || (!t.requestStop() && !t.started())) {
                System.err.println("interrupted: nothing was trained yet, so nothing was saved");
                run.removeIfEmpty();
                System.exit(Main.EXIT_INTERRUPTED);
            }
        })) {
            return train(out, err, ck, metricsFile, widths, activation, allowed, signals, training);
        }
    }

    private Integer train(PrintWriter out, PrintWriter err, Path ck, Path metricsFile, int[] widths, Activation activation,
                          Set<String> allowed, Signals signals, AtomicReference<Trainer> training)
            throws IOException {
        Resumption start = resume != null ? Resumption.load(resume, modelOptions.model, modelOptions.layers, widths, activation, allowed) : null;
        String modelName = start != null ? start.checkpoint().model() : modelOptions.model != null ? modelOptions.model : "mlp";
        OptimizerChoice used = optimizer != null ? optimizer : ScheduleOptions.Recipe.of(modelName).optimizer();
        checkOptimizerOptions(used);
        Mnist mnist = data.load();
        DataIdentity identity = DataIdentity.of(mnist);
        long seedUsed = seed != null ? seed : 1;
        int batchUsed = batch != null ? batch : used.defaultBatch;
        Integer samplesUsed = samples;
        if (start != null) {
            start.checkData(identity, data.directory);
            seedUsed = start.seed(seed);
            batchUsed = start.batch(batch, used.defaultBatch);
            samplesUsed = start.samples(samples);
        }
        int n = samplesUsed != null ? samplesUsed : mnist.train().count();
        OptionRanges.between("--samples", n, 1, mnist.train().count(), "the training images in " + data.describe());
        if (batch != null && batch > n) {
            throw OptionRanges.outOfRange("--batch", batch, "1 to " + n + " (the training images used)");
        }

        Model model;
        if (start != null) {
            model = start.checkpoint().toModel();
        } else {
            model = modelOptions.create();
            model.initialize(init, seedUsed);
        }
        CheckpointFiles files = new CheckpointFiles(ck);
        int removed = files.cleanUp() + OutputFiles.deleteStaleTemporaries(metricsFile, MetricsLog.chartPath(metricsFile));
        if (removed > 0) err.println("removed " + removed + " file(s) a killed run left beside " + ck);

        int stepBatch = Math.min(batchUsed, n);
        ScheduleOptions.Plan plan = schedule.plan(modelName, optimizer, lr, (n + stepBatch - 1) / stepBatch, epochs);
        OptimizerChoice chosen = plan.optimizer();
        double learningRate = plan.lr();
        OptimizerChoice.Settings settings = new OptimizerChoice.Settings(learningRate, seedUsed, newtonCg, kfac,
                plan.schedule(), plan.weightDecay(), plan.text());
        String planText = chosen.describe(settings, stepBatch);
        if (start != null) start.checkSchedule(chosen.cliName, planText);
        Map<String, String> runMetadata = new LinkedHashMap<>(identity.metadata());
        runMetadata.put(Checkpoint.OPTIMIZER, chosen.cliName);
        runMetadata.put(Checkpoint.SCHEDULE, planText);
        String advice = chosen == OptimizerChoice.NEWTON_CG
                ? "Try a larger --damping (now " + newtonCg.damping() + ")"
                : "Try a smaller --lr (now " + learningRate + ")";
        Trainer trainer = new Trainer(model, mnist.train(), mnist.test(),
                dp.wrap(chosen, settings, n, seedUsed, out),
                new Trainer.Config(batchUsed, epochs, n, seedUsed, files, checkpointEvery != null ? checkpointEvery : 0,
                        onNonFinite, logEvery != null ? logEvery : 0, runMetadata, advice), out, err,
                epoch -> noProgress ? Progress.NONE
                        : Progress.bar(String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, epochs), n, System.err));
        if (detectAnomaly) trainer.detectAnomaly();
        MetricsLog log = new MetricsLog(metricsFile);
        if (run.used()) out.println("outputs in " + run.directory("train") + "/");
        if (augment) trainer.augment(AUGMENT_PADDING);
        if (start != null) {
            out.println(start.resume(trainer));
            String restartWarning = start.restoreOptimizer(trainer);
            if (restartWarning != null) out.println("warning: " + restartWarning);
            int epoch = start.epochsDone();
            if (Files.exists(metricsFile)) log.keepEarlier(epoch);
            if (epoch >= epochs) {
                out.printf("nothing to do: %s has completed %d epochs and --epochs is %d%n", start.file(), epoch, epochs);
                return 0;
            }
        }
        int dropped = trainer.droppedPerEpoch();
        out.printf(Locale.ROOT, "data %s from %s: %,d training and %,d test images%s%n", data.dataset, data.describe(),
                mnist.train().count(), mnist.test().count(), augment ? String.format(Locale.ROOT,
                        ", training images cropped at random with %d pixels of zero padding (--augment)", AUGMENT_PADDING) : "");
        out.printf(Locale.ROOT, "model %s (%,d parameters), %s, batch %d, %,d training images%s, seed %d%n",
                model.torchModule(), model.parameterCount(),
                chosen.describe(settings, trainer.batchSize()), trainer.batchSize(), n,
                dropped == 0 ? "" : String.format(Locale.ROOT, " (the last %d of each epoch skipped: %s steps on full"
                        + " batches only)", dropped, chosen), seedUsed);
        out.flush();

        TensorBoardLogger tensorboard = logs.open(logDirectory, model, trainer.batchSize(), new TensorBoardLogger.RunInfo(
                model.mlp != null ? Model.widthsText(model.mlp.widths()) : model.name(),
                (model.mlp != null ? model.mlp.activation() : modelOptions.activation()).name().toLowerCase(Locale.ROOT),
                chosen.toString(), trainer.batchSize(),
                settings.lr(), plan.text(), epochs, seedUsed, logs.histogramEvery, model.torchModule()), settings.schedule());
        if (tensorboard != null) trainer.observe(tensorboard);
        long trainingStart = System.nanoTime();
        training.set(trainer);
        Trainer.Outcome outcome;
        try {
            outcome = trainer.run(log);
        } catch (RuntimeException | IOException e) {
            if (tensorboard != null) tensorboard.close(); // the logs of a run that went wrong are worth reading
            throw e;
        }
        logs.finish(tensorboard, (System.nanoTime() - trainingStart) / 1e9, out);
        if (outcome == Trainer.Outcome.STOPPED || signals.received()) {
            err.println("interrupted: " + (outcome == Trainer.Outcome.STOPPED ? "saved " : "the run had just finished; saved ")
                    + trainer.savedAt() + "; continue with --resume " + ck);
            err.flush();
            return Main.EXIT_INTERRUPTED;
        }
        out.println("saved " + ck + (trainer.skippedSteps() > 0 ? " (" + trainer.skippedSteps()
                + " non-finite steps skipped in all)" : ""));
        out.println("metrics in " + metricsFile + " and " + log.chart());
        out.flush();
        return 0;
    }

    /** --on-nonfinite stop|skip, in any case. */
    static final class NonFiniteConverter implements CommandLine.ITypeConverter<Trainer.NonFinitePolicy> {
        @Override
        public Trainer.NonFinitePolicy convert(String value) {
            for (Trainer.NonFinitePolicy p : Trainer.NonFinitePolicy.values()) {
                if (p.name().equalsIgnoreCase(value.trim())) return p;
            }
            throw new CommandLine.TypeConversionException("expected stop or skip, got '" + value + "'");
        }
    }

    /** --init in any case, shown in lower case. */
    static final class InitConverter implements CommandLine.ITypeConverter<Init> {
        @Override
        public Init convert(String value) {
            for (Init i : Init.values()) if (i.name().equalsIgnoreCase(value.trim())) return i;
            throw new CommandLine.TypeConversionException("expected one of " + String.join(", ", new Candidates()) + ", got '"
                    + value + "'");
        }

        static final class Candidates implements Iterable<String> {
            @Override
            public java.util.Iterator<String> iterator() {
                return Arrays.stream(Init.values()).map(i -> i.name().toLowerCase(Locale.ROOT)).iterator();
            }
        }
    }
}
