package org.panagrad.demo;

import com.google.gson.GsonBuilder;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.io.AtomicFiles;
import org.panagrad.io.tensorboard.EventWriter;
import org.panagrad.io.tensorboard.Histogram;
import org.panagrad.runtime.Program;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code train --tensorboard DIR}: TensorBoard event files, as PyTorch's SummaryWriter writes them. Every step:
 * the training loss. Every {@code every} steps: the histograms of every parameter and of its gradient, each
 * gradient's L2 norm (the per-layer series that shows vanishing or exploding gradients), the learning rate and
 * the samples per second. Every epoch: the test loss and accuracy.
 * <p>
 * The training step fuses each weight gradient into its update, so gradients never exist as arrays there.
 * At a histogram step a separate gradient program (forward and backward, no update) runs on the same batch
 * before the training step: the gradients logged are the ones that step applies. {@link #overheadNanos}
 * is the time all of this took, so a run can report what logging cost it.
 */
final class TensorBoardLogger implements TrainingObserver, Closeable {
    static final int DEFAULT_EVERY = 200;
    static final int BUCKETS = 30;
    /** The run's settings, beside the event files, for {@code report --run}. */
    static final String RUN_FILE = "run.json";

    /**
     * What run.json holds: enough to rebuild the model's programs for the report. {@code learning_rate} (the
     * schedule's peak) is null for an optimizer without one (newton-cg); {@code lr_schedule} as the run's opening line
     * shows it.
     */
    record RunInfo(String layers, String activation, String optimizer, int batch, Double learning_rate, String lr_schedule,
                   int epochs, long seed, int histogram_every, String torch_module) {
        RunInfo {
            if (learning_rate != null && !Double.isFinite(learning_rate)) learning_rate = null;
            if (lr_schedule != null && lr_schedule.isEmpty()) lr_schedule = null;
        }
    }

    private final EventWriter writer;
    private final Model model;
    private final int batch;
    private final int every;
    /** The learning rate per step, or null for an optimizer without one. */
    private final LearningRateSchedule learningRate;
    private final Model.Batch gradientBatch;
    private final Program gradientProgram;
    private final List<Node> parameters;
    private final Node[] gradients;
    private final float[][] gradientValues;
    private long overhead;
    private long overheadAtEpochStart;
    private double lastEpochShare = Double.NaN;
    private long intervalStart = System.nanoTime();
    private long intervalSamples;

    TensorBoardLogger(Path dir, Model model, int batch, int every, RunInfo info, LearningRateSchedule learningRate)
            throws IOException {
        if (every < 1) throw new IllegalArgumentException("--histogram-every must be at least 1, got " + every);
        long t0 = System.nanoTime();
        this.model = model;
        this.batch = batch;
        this.every = every;
        this.learningRate = info.learning_rate() != null ? learningRate : null;
        this.parameters = model.parameters();
        gradientBatch = model.trainingBatch("tensorboard", batch);
        gradients = Autodiff.grad(gradientBatch.loss(), parameters.toArray(new Node[0]));
        gradientProgram = Compiler.compile(model.store, List.of(gradients));
        gradientValues = new float[gradients.length][];
        for (int i = 0; i < gradients.length; i++) gradientValues[i] = new float[gradients[i].shape().numel()];
        writer = EventWriter.create(dir);
        byte[] json = new GsonBuilder().setPrettyPrinting().create().toJson(info).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve(RUN_FILE), o -> o.write(json));
        overhead += System.nanoTime() - t0;
    }

    Path file() {
        return writer.file();
    }

    /**
     * At step 0 only the initial weights: the kernels of the gradient program are not compiled yet, and its first
     * run there would cost seconds of interpreted SIMD code that the training step's own first steps also pay.
     */
    @Override
    public void beforeStep(long step, float[] images, int[] labels, int size) throws IOException {
        if (step % every != 0 || size != batch) return;
        long t0 = System.nanoTime();
        boolean withGradients = step > 0;
        if (withGradients) {
            gradientProgram.bind(gradientBatch.images(), images, 0);
            gradientProgram.setLabels(gradientBatch.labels(), labels, 0);
            gradientProgram.run();
        }
        for (int i = 0; i < parameters.size(); i++) {
            String name = parameters.get(i).name();
            writer.histogram("weights/" + name, step, Histogram.of(model.store.get(parameters.get(i)), BUCKETS));
            if (!withGradients) continue;
            gradientProgram.read(gradients[i], gradientValues[i]);
            Histogram g = Histogram.of(gradientValues[i], BUCKETS);
            writer.histogram("gradients/" + name, step, g);
            // The histogram's sum of squares skips non-finite values; an exploding gradient must show.
            writer.scalar("gradient_norm/" + name, step, g.num() == gradientValues[i].length ? Math.sqrt(g.sumSquares())
                    : Double.POSITIVE_INFINITY);
        }
        double seconds = (t0 - intervalStart) / 1e9;
        if (intervalSamples > 0 && seconds > 0) writer.scalar("train/samples_per_second", step, intervalSamples / seconds);
        if (learningRate != null) writer.scalar("train/learning_rate", step, learningRate.at(step));
        intervalSamples = 0;
        long t1 = System.nanoTime();
        overhead += t1 - t0;
        intervalStart = t1;
    }

    @Override
    public void afterStep(long step, float loss, int size) throws IOException {
        long t0 = System.nanoTime();
        writer.scalar("train/loss", step, loss);
        intervalSamples += size;
        overhead += System.nanoTime() - t0;
    }

    @Override
    public void afterEpoch(int epoch, long step, double trainLoss, Evaluator.Result test, double seconds) throws IOException {
        long t0 = System.nanoTime();
        writer.scalar("test/loss", step, test.loss());
        writer.scalar("test/accuracy", step, test.accuracy());
        writer.scalar("train/epoch_loss", step, trainLoss);
        writer.scalar("train/epoch", step, epoch);
        writer.flush();
        overhead += System.nanoTime() - t0;
        lastEpochShare = (overhead - overheadAtEpochStart) / 1e9 / seconds;
        overheadAtEpochStart = overhead;
    }

    /** Time spent logging so far (compiling the gradient program included). */
    long overheadNanos() {
        return overhead;
    }

    /** The share of the last epoch's time that logging took (NaN before the first epoch ends). */
    double lastEpochShare() {
        return lastEpochShare;
    }

    String summary(double trainingSeconds) {
        double s = overhead / 1e9;
        return String.format(Locale.ROOT, "tensorboard: %s (logging took %.3f s, %.2f%% of %.1f s of training; %.2f%% of the"
                + " last epoch)", writer.file(), s, 100 * s / trainingSeconds, trainingSeconds, 100 * lastEpochShare);
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
