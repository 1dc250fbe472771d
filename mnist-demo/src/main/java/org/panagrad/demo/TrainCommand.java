package org.panagrad.demo;

import org.panagrad.io.Mnist;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains an MLP on MNIST, printing the test loss and accuracy after each epoch.",
                "Ctrl-C saves a checkpoint (to --checkpoint, else ./" + TrainCommand.INTERRUPTED + ") and exits;"
                        + " --resume continues from it."})
final class TrainCommand implements Callable<Integer> {
    static final String INTERRUPTED = "mnist-interrupted.safetensors";

    @Mixin
    DataOption data;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--batch", description = "Images per step (default: 128; 500 for newton-cg, 1000 for lbfgs).")
    Integer batch;

    @Option(names = "--epochs", defaultValue = "10", description = "Passes over the training images (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--optimizer", defaultValue = "momentum", converter = OptimizerChoice.Converter.class,
            completionCandidates = OptimizerChoice.Candidates.class,
            description = {"One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; momentum is SGD with momentum 0.9).",
                    "newton-cg, adahessian and lbfgs are second-order (closure) optimizers: their programs are compiled"
                            + " for one batch size, so they skip the last partial batch of each epoch (drop_last)."})
    OptimizerChoice optimizer;

    @Option(names = "--lr", description = "Learning rate (default: 0.1 for sgd, 0.05 for momentum, 0.001 for adam,"
            + " 0.05 for adahessian, 1 for lbfgs (its first trial step); newton-cg has none).")
    Double lr;

    @Mixin
    NewtonCgOptions newtonCg;

    @Option(names = "--threads", description = "Worker threads for the kernels (default: the number of cores).")
    Integer threads;

    @Option(names = "--seed", defaultValue = "1", description = "Seed for the initial weights and the shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--init", defaultValue = "TORCH_DEFAULT",
            description = "Weight initialization: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}, as nn.Linear).")
    Init init;

    @Option(names = "--samples", paramLabel = "N", description = "Train on the first N training images only (default: all).")
    Integer samples;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "Save the model here (safetensors, PyTorch nn.Sequential layout) after every epoch.")
    Path checkpoint;

    @Option(names = "--resume", paramLabel = "FILE", description = "Continue training from this checkpoint, with the"
            + " optimizer's state saved next to it (FILE's stem + .optimizer.safetensors): the run goes on exactly as if"
            + " it had not stopped. Use the same --optimizer.")
    Path resume;

    @Option(names = "--metrics", paramLabel = "FILE",
            description = "Write per-epoch metrics as JSON lines to FILE and a chart of the curves next to it (.png).")
    Path metrics;

    @Option(names = "--no-progress", description = "Do not show the progress bar.")
    boolean noProgress;

    @Mixin
    TrainLogOptions logs;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Threads.configure(threads != null ? threads : Threads.available());
        OptimizerChoice.Settings settings = new OptimizerChoice.Settings(optimizer.learningRate(lr), seed, newtonCg);
        newtonCg.checkGivenOnlyFor(optimizer);
        int batchSize = batch != null ? batch : optimizer.defaultBatch;
        PrintWriter out = spec.commandLine().getOut();

        Checkpoint start = resume != null ? Checkpoint.load(resume, modelOptions.activationOrNull()) : null;
        Model model;
        if (start != null) {
            model = start.toModel();
            if (modelOptions.layers != null && !java.util.Arrays.equals(Mlp.parseWidths(modelOptions.layers), start.widths())) {
                throw new IllegalArgumentException("--layers " + modelOptions.layers + " disagrees with " + resume
                        + ", which holds a " + Model.widthsText(start.widths()) + " model");
            }
        } else {
            model = new Model(modelOptions.widths(), modelOptions.activation());
            model.mlp.initialize(model.store, init, seed);
        }
        Mnist mnist = data.load();
        int n = samples != null ? samples : mnist.train().count();
        Path stopFile = Path.of(INTERRUPTED);
        Trainer trainer = new Trainer(model, mnist.train(), mnist.test(),
                (m, full, last) -> optimizer.create(m, full, last, settings),
                new Trainer.Config(batchSize, epochs, n, seed, checkpoint, stopFile, metrics), out,
                epoch -> noProgress ? Progress.NONE
                        : Progress.bar(String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, epochs), n - 0L, System.err));
        MetricsLog log = metrics != null ? new MetricsLog(metrics) : null;
        if (start != null) {
            int epoch = (int) start.metadataLong(Checkpoint.EPOCH, 0);
            int batchInEpoch = (int) start.metadataLong(Checkpoint.BATCH, 0);
            trainer.resumeAt(epoch, batchInEpoch);
            String restartWarning = trainer.restoreOptimizerState(resume, start.metadataLong(Checkpoint.STEP, -1));
            out.printf("resuming %s at epoch %d, batch %d%n", resume, epoch + 1, batchInEpoch + 1);
            if (restartWarning != null) out.println("warning: " + restartWarning);
            if (log != null) log.keepEarlier(epoch);
            if (epoch >= epochs) {
                out.printf("nothing to do: %s has completed %d epochs and --epochs is %d%n", resume, epoch, epochs);
                return 0;
            }
        }
        int dropped = trainer.droppedPerEpoch();
        out.printf(Locale.ROOT, "model %s (%,d parameters), %s, batch %d, %,d training images%s, seed %d%n",
                Checkpoint.torchModule(model.mlp.widths(), model.mlp.activation()), model.mlp.parameterCount(),
                optimizer.describe(settings, trainer.batchSize()), trainer.batchSize(), n,
                dropped == 0 ? "" : String.format(Locale.ROOT, " (the last %d of each epoch skipped: %s steps on full"
                        + " batches only)", dropped, optimizer), seed);

        TensorBoardLogger tensorboard = logs.open(model, trainer.batchSize(), new TensorBoardLogger.RunInfo(
                Model.widthsText(model.mlp.widths()), model.mlp.activation().name().toLowerCase(Locale.ROOT), optimizer.toString(),
                trainer.batchSize(), settings.lr(), epochs, seed, logs.histogramEvery,
                Checkpoint.torchModule(model.mlp.widths(), model.mlp.activation())));
        if (tensorboard != null) trainer.observe(tensorboard);
        long trainingStart = System.nanoTime();

        Thread hook = new Thread(() -> {
            trainer.requestStop();
            try {
                trainer.awaitFinished(60, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "save-on-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        Trainer.Outcome outcome;
        try {
            outcome = trainer.run(log);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running: it waits for us, and the JVM exits after it.
            }
        }
        logs.finish(tensorboard, (System.nanoTime() - trainingStart) / 1e9, out);
        if (outcome == Trainer.Outcome.STOPPED) {
            System.err.println("interrupted: saved a checkpoint to " + trainer.savedOnStop().toAbsolutePath()
                    + "; continue with --resume " + trainer.savedOnStop());
            return Main.EXIT_INTERRUPTED;
        }
        if (checkpoint != null) out.println("saved " + checkpoint);
        if (log != null) out.println("metrics in " + metrics + " and " + log.chart());
        return 0;
    }
}
