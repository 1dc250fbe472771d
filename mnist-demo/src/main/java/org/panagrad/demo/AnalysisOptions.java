package org.panagrad.demo;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The options the analysis commands (curvature, laplace, influence) share: the checkpoint, the data, the threads;
 * and how laplace and influence write their JSON and picture into a run directory.
 */
final class AnalysisOptions {
    @Option(names = "--checkpoint", paramLabel = "FILE", required = true, description = "The model, in safetensors.")
    Path checkpoint;

    @CommandLine.Mixin
    DataOption data;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads for the kernels (default: the number of cores).")
    Integer threads;

    /** An analysis that writes its JSON and its picture once the outputs are known to be writable. */
    interface Analysis {
        int run() throws IOException;
    }

    /**
     * Runs analysis into run, which holds json and png: both checked writable and cleared of stale temporaries
     * first, the run directory removed again if the analysis fails, and a curvature that cannot be inverted
     * reported as a user error (its message says what damping would do).
     */
    static int writeInto(RunDirectory run, Path json, Path png, Analysis analysis) throws IOException {
        return run.within(() -> {
            OutputFiles.checkWritable("--json", json);
            OutputFiles.checkWritable("--png", png);
            OutputFiles.deleteStaleTemporaries(json, png);
            try {
                return analysis.run();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        });
    }
}
