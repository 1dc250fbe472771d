package org.panagrad.demo;

import org.panagrad.io.Mnist;
import org.panagrad.nn.Init;
import org.panagrad.ops.Attention;
import org.panagrad.ops.AttentionGrad;
import org.panagrad.optim.TrainingStep;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "profile", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Times each instruction of the compiled training step on MNIST batches.",
                "Prints a table of op, shapes, calls, total and mean time, share of the step and GFLOP/s, and writes a"
                        + " Chrome trace into the run directory.",
                "Open the trace in chrome://tracing or https://ui.perfetto.dev."})
final class ProfileCommand implements Callable<Integer> {
    /** Table order; lower-case constants are what --sort shows and takes (in any case). */
    enum Sort { order, time }

    @CommandLine.Mixin
    DataOption data;

    @CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "500", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1000",
            description = "Untimed steps first, until the JIT has compiled the kernels (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "128", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--optimizer", paramLabel = "NAME", defaultValue = "momentum", converter = OptimizerChoice.Converter.class,
            completionCandidates = OptimizerChoice.CompiledCandidates.class,
            description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    OptimizerChoice optimizer;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads for the kernels (default and most: the"
            + " processors available).")
    Integer threads;

    @CommandLine.Mixin
    RunDirectory run;

    @Option(names = "--trace", paramLabel = "FILE",
            description = {"The Chrome trace.", "Default: profile-trace.json in the run directory."})
    Path trace;

    @Option(names = "--sort", paramLabel = "ORDER", defaultValue = "order",
            description = "Table order: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Sort sort;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        OptionRanges.atLeast("--steps", steps, 1);
        OptionRanges.atLeast("--warmup", warmup, 0);
        OptionRanges.atLeast("--batch", batch, 1);
        Model model = modelOptions.create();
        optimizer.compiled(optimizer.defaultLearningRate); // a closure optimizer is refused before any work
        Threads.configure(threads, spec.commandLine().getErr());
        if (trace == null) trace = run.file("profile", "profile-trace.json");
        return run.within(() -> {
            OutputFiles.checkWritable("--trace", trace);
            OutputFiles.deleteStaleTemporaries(trace);
            return profile(model);
        });
    }

    private Integer profile(Model model) throws IOException {
        model.initialize(Init.TORCH_DEFAULT, 1);
        Mnist mnist = data.load();
        if (mnist.train().pixelsPerImage() != model.inputWidth()) {
            throw new IllegalArgumentException("the images have " + mnist.train().pixelsPerImage() + " pixels but the first layer takes "
                    + model.inputWidth() + " inputs");
        }
        OptionRanges.between("--batch", batch, 1, mnist.train().count(), "the training images");
        Model.Batch b = model.trainingBatch("train", batch);
        TrainingStep step = TrainingStep.compile(model.store, b.loss(), model.parameters(),
                optimizer.compiled(optimizer.defaultLearningRate), false, b.stateUpdates());
        Profiler.Result result = Profiler.run(model, b, step, mnist.train(), warmup, steps);
        PrintWriter out = spec.commandLine().getOut();
        printTable(out, result);
        String title = model.torchModule() + ", batch " + batch + ", " + optimizer;
        ChromeTrace.write(trace, result, title);
        out.println("trace: " + trace + " (open it in chrome://tracing or https://ui.perfetto.dev)");
        out.flush();
        return 0;
    }

    private void printTable(PrintWriter out, Profiler.Result result) {
        List<Profiler.Row> rows = new ArrayList<>(result.rows());
        if (sort == Sort.time) rows.sort(Comparator.comparingLong(Profiler.Row::totalNanos).reversed());
        long total = result.totalNanos();
        out.printf(Locale.ROOT, "%3s  %-28s %-44s %-8s %6s %10s %10s %6s %8s%n",
                "#", "op", "shapes", "phase", "calls", "total ms", "mean µs", "share", "GFLOP/s");
        for (Profiler.Row r : rows) {
            out.printf(Locale.ROOT, "%3d  %-28s %-44s %-8s %6d %10.2f %10.1f %5.1f%% %8.2f%n",
                    r.index(), r.node().op().name(), CompiledNodes.shapes(r.node()),
                    r.phase().label, r.calls(), r.totalNanos() / 1e6, r.meanMicros(),
                    total == 0 ? 0 : 100.0 * r.totalNanos() / total, r.gflops());
        }
        long flops = 0, attention = 0;
        for (Profiler.Row r : result.rows()) {
            flops += r.flopsPerCall();
            if (r.node().op() instanceof Attention || r.node().op() instanceof AttentionGrad) attention += r.totalNanos();
        }
        if (attention > 0) {
            out.printf(Locale.ROOT, "attention's share of the step: %.1f%% (the fused forward and backward instructions)%n",
                    total == 0 ? 0 : 100.0 * attention / total);
        }
        out.printf(Locale.ROOT, "%d steps of batch %d: %.2f ms per step (instructions %.2f ms), %.0f images/s, %.2f GFLOP/s%n",
                result.steps(), batch, result.stepNanos() / 1e6 / result.steps(), total / 1e6 / result.steps(),
                batch * result.steps() / (result.stepNanos() / 1e9), (double) flops * result.steps() / result.stepNanos());
    }
}
