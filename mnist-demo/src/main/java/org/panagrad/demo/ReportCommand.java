package org.panagrad.demo;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes one self-contained HTML page about a training run, into the run's directory.",
                "It shows the loss and accuracy curves, a heatmap of per-layer gradient norms, the latest weight and"
                        + " gradient histograms, the training step's graph, its profile, and the Hessian spectrum, Laplace"
                        + " calibration and influential training images when the directory has them. Nothing is loaded from the"
                        + " network.",
                "hessian, laplace and influence put their results into a training run's directory when given --out-dir DIR.",
                "The run is a directory that train --tensorboard DIR (or train --report) wrote; train --report writes"
                        + " the report by itself."})
final class ReportCommand implements Callable<Integer> {
    @Option(names = "--run", paramLabel = "DIR", required = true, description = "The run's directory (train --tensorboard DIR).")
    Path run;

    @Option(names = "--hessian", paramLabel = "FILE",
            description = {"A hessian --json file to include.", "Default: hessian.json in DIR, when present."})
    Path hessian;

    @Option(names = "--out", paramLabel = "FILE", description = {"Where to write the page.", "Default: report.html in DIR."})
    Path out;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads for the profile (default and most: the"
            + " processors available).")
    Integer threads;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Threads.configure(threads, spec.commandLine().getErr());
        if (!Files.isDirectory(run)) {
            throw new NoSuchFileException(run.toString(), null, Files.exists(run) ? "--run expects a directory, not a file"
                    : "no such run directory");
        }
        if (hessian != null && !Files.isRegularFile(hessian)) {
            throw new NoSuchFileException(hessian.toString(), null, "--hessian: no such file");
        }
        Path target = out != null ? out : run.resolve(Report.FILE);
        OutputFiles.checkWritable("--out", target);
        OutputFiles.deleteStaleTemporaries(target);
        Path written = Report.write(run, hessian, target);
        spec.commandLine().getOut().println("report: " + written);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
