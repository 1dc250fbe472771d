package org.panagrad.demo;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes DIR/report.html, one self-contained page about a training run (nothing is loaded from the"
                + " network): loss and accuracy curves, a heatmap of per-layer gradient norms, the latest weight and gradient"
                + " histograms, the training step's graph, its profile, and the Hessian spectrum when there is one.",
                "DIR is a train --tensorboard directory (train --report writes the report by itself)."})
final class ReportCommand implements Callable<Integer> {
    @Option(names = "--run", paramLabel = "DIR", required = true, description = "The run's directory (train --tensorboard DIR).")
    Path run;

    @Option(names = "--hessian", paramLabel = "FILE", description = "A hessian --json file to include (default: DIR/hessian.json"
            + " when present).")
    Path hessian;

    @Option(names = "--threads", description = "Worker threads for the profile (default: the number of cores).")
    Integer threads;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Threads.configure(threads != null ? threads : Threads.available());
        Path out = Report.write(run, hessian);
        spec.commandLine().getOut().println("report: " + out);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
