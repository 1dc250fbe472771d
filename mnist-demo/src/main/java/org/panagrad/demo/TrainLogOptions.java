package org.panagrad.demo;

import org.panagrad.optim.LearningRateSchedule;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

/** {@code train}'s logging options: TensorBoard event files and the HTML report, written into one directory. */
final class TrainLogOptions {
    @Option(names = "--tensorboard", paramLabel = "DIR",
            description = "Write TensorBoard event files to DIR (tensorboard --logdir DIR): the loss every step; every"
                    + " --histogram-every steps the weight and gradient histograms, per-layer gradient norms, learning rate"
                    + " and samples/s; the test loss and accuracy every epoch.")
    Path tensorboard;

    @Option(names = "--histogram-every", paramLabel = "N", defaultValue = "" + TensorBoardLogger.DEFAULT_EVERY,
            description = "Steps between histograms and gradient norms (default: ${DEFAULT-VALUE}).")
    int histogramEvery;

    @Option(names = "--report", description = "After training, write report.html (curves, gradient heatmap, histograms,"
            + " graph, profile) into the --tensorboard directory, or into the run directory without one.")
    boolean report;

    /**
     * Where the logs go: --tensorboard, the run directory when only --report is asked for, or null. Checked
     * before any work starts: the directory, or the nearest one above it that exists, must accept files.
     */
    Path directory(RunDirectory run, String command) {
        if (tensorboard != null) {
            OutputFiles.checkDirectory("--tensorboard", tensorboard);
            return tensorboard;
        }
        return report ? run.use(command) : null;
    }

    /** The logger writing into {@code dir}, or null when {@code dir} is null. */
    TensorBoardLogger open(Path dir, Model model, int batch, TensorBoardLogger.RunInfo info,
                           LearningRateSchedule learningRate) throws IOException {
        return dir == null ? null : new TensorBoardLogger(dir, model, batch, histogramEvery, info, learningRate);
    }

    /** Closes the logger, says what logging cost, and writes the report when asked. */
    void finish(TensorBoardLogger logger, double trainingSeconds, PrintWriter out) throws IOException {
        if (logger == null) return;
        logger.close();
        out.println(logger.summary(trainingSeconds));
        if (report) out.println("report: " + Report.write(logger.file().getParent(), null));
    }
}
