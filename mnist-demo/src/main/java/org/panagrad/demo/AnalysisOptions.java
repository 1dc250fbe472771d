package org.panagrad.demo;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options the analysis commands (curvature, laplace, influence) share: the checkpoint, the data, the threads. */
final class AnalysisOptions {
    @Option(names = "--checkpoint", paramLabel = "FILE", required = true, description = "The model, in safetensors.")
    Path checkpoint;

    @CommandLine.Mixin
    DataOption data;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads for the kernels (default: the number of cores).")
    Integer threads;
}
