package org.panagrad.demo;

import org.panagrad.io.Dataset;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The training loop, over a {@link BatchStep}: first-order optimizers keep the last smaller batch of an
 * epoch (as PyTorch's DataLoader does by default), closure optimizers drop it. The order of the images is
 * shuffled each epoch by a generator seeded from the seed and the epoch number, so a run is reproducible for
 * a given seed (and thread count) and a resumed run sees the same batches the uninterrupted one would have.
 *
 * <p>{@link #requestStop()} (from the Ctrl-C hook) makes the loop save a checkpoint after the current step
 * and return; the checkpoint records the epoch and the batch within it, so {@code --resume} continues from
 * the next batch.
 */
final class Trainer {
    record Config(int batch, int epochs, int samples, long seed, Path checkpoint, Path stopCheckpoint, Path metrics) {}

    enum Outcome { FINISHED, STOPPED }

    private final Model model;
    private final Dataset train;
    private final BatchStep step;
    private final Config config;
    private final PrintWriter out;
    private final IntFunction<Progress> progress;
    private final Evaluator evaluator;
    private final int batch;
    private final float[] images;
    private final int[] labels;

    private volatile boolean stopRequested;
    private final CountDownLatch finished = new CountDownLatch(1);
    private Path savedOnStop;

    private int startEpoch;
    private int startBatch;
    private TrainingObserver observer = TrainingObserver.NONE;

    Trainer(Model model, Dataset train, Dataset test, BatchStep.Factory steps, Config config, PrintWriter out,
            IntFunction<Progress> progress) {
        if (config.batch() < 1) throw new IllegalArgumentException("--batch must be at least 1, got " + config.batch());
        if (config.epochs() < 1) throw new IllegalArgumentException("--epochs must be at least 1, got " + config.epochs());
        if (config.samples() < 1 || config.samples() > train.count()) {
            throw new IllegalArgumentException("--samples must be between 1 and " + train.count()
                    + " (the training images available), got " + config.samples());
        }
        if (train.pixelsPerImage() != model.inputWidth()) {
            throw new IllegalArgumentException("the images have " + train.pixelsPerImage() + " pixels but the first layer"
                    + " takes " + model.inputWidth() + " inputs; use --layers " + train.pixelsPerImage() + "-...");
        }
        this.model = model;
        this.train = train;
        this.config = config;
        this.out = out;
        this.progress = progress;
        this.evaluator = new Evaluator(model, test);
        batch = Math.min(config.batch(), config.samples());
        step = steps.create(model, batch, config.samples() % batch);
        images = new float[batch * model.inputWidth()];
        labels = new int[batch];
    }

    /** Images per step (the --batch asked for, at most the training images). */
    int batchSize() {
        return batch;
    }

    int batchesPerEpoch() {
        return step.dropsPartialBatch() ? config.samples() / batch : (config.samples() + batch - 1) / batch;
    }

    /** The images of the last partial batch that each epoch skips (0 when none is skipped). */
    int droppedPerEpoch() {
        return config.samples() - Math.min(config.samples(), batchesPerEpoch() * batch);
    }

    /** Continues from a checkpoint's position: {@code epoch} epochs done, then {@code batch} batches of the next. */
    void resumeAt(int epoch, int batchInEpoch) {
        if (epoch < 0 || batchInEpoch < 0 || batchInEpoch >= batchesPerEpoch()) {
            throw new IllegalArgumentException("cannot resume at epoch " + epoch + ", batch " + batchInEpoch + ": an epoch has "
                    + batchesPerEpoch() + " batches (was the checkpoint written with another --batch, --samples or --optimizer?)");
        }
        startEpoch = epoch;
        startBatch = batchInEpoch;
        step.setStepCount((long) epoch * batchesPerEpoch() + batchInEpoch);
    }

    /**
     * Restores the optimizer's state saved next to {@code checkpoint} at step {@code stepTag}; returns null
     * when it did, else the warning to print (the optimizer then starts from its initial state).
     */
    String restoreOptimizerState(Path checkpoint, long stepTag) throws IOException {
        return step.restoreState(checkpoint, stepTag) ? null : step.restartWarning();
    }

    /** Tells {@code observer} about every step and epoch (TensorBoard logs, the report's data). */
    void observe(TrainingObserver observer) {
        this.observer = observer;
    }

    int startEpoch() {
        return startEpoch;
    }

    /** Asks the loop to save a checkpoint after the current step and return. Safe from any thread. */
    void requestStop() {
        stopRequested = true;
    }

    /** Waits until the loop has returned (for the Ctrl-C hook, which must not let the JVM exit before). */
    boolean awaitFinished(long timeout, TimeUnit unit) throws InterruptedException {
        return finished.await(timeout, unit);
    }

    /** The checkpoint written when a stop was requested, or null. */
    Path savedOnStop() {
        return savedOnStop;
    }

    Outcome run(MetricsLog metrics) throws IOException {
        try {
            return loop(metrics);
        } finally {
            finished.countDown();
        }
    }

    private Outcome loop(MetricsLog metrics) throws IOException {
        int n = config.samples(), batches = batchesPerEpoch(), pixels = model.inputWidth();
        int[] order = new int[n];
        for (int epoch = startEpoch; epoch < config.epochs(); epoch++) {
            shuffle(order, config.seed(), epoch);
            long t0 = System.nanoTime();
            double lossSum = 0;
            int seen = 0;
            int first = epoch == startEpoch ? startBatch : 0;
            try (Progress bar = progress.apply(epoch)) {
                for (int b = first; b < batches; b++) {
                    if (stopRequested) {
                        savedOnStop = config.checkpoint() != null ? config.checkpoint() : config.stopCheckpoint();
                        save(savedOnStop, epoch, b);
                        return Outcome.STOPPED;
                    }
                    int start = b * batch;
                    int size = Math.min(batch, n - start);
                    for (int i = 0; i < size; i++) {
                        int k = order[start + i];
                        System.arraycopy(train.images(), k * pixels, images, i * pixels, pixels);
                        labels[i] = train.labels()[k];
                    }
                    long index = step.stepCount();
                    observer.beforeStep(index, images, labels, size);
                    float loss = step.step(images, labels, size);
                    observer.afterStep(index, loss, size);
                    if (!Float.isFinite(loss)) {
                        throw new IllegalArgumentException(String.format(Locale.ROOT, "the training loss became %s at epoch %d,"
                                + " batch %d; try a smaller --lr", loss, epoch + 1, b + 1));
                    }
                    lossSum += (double) loss * size;
                    seen += size;
                    bar.step(size, lossSum / seen);
                }
            }
            Evaluator.Result test = evaluator.run();
            double seconds = (System.nanoTime() - t0) / 1e9;
            out.printf(Locale.ROOT, "epoch %d/%d  train loss %.4f  test loss %.4f  test accuracy %.2f%%  %.1f s%n",
                    epoch + 1, config.epochs(), lossSum / seen, test.loss(), 100 * test.accuracy(), seconds);
            out.flush();
            observer.afterEpoch(epoch + 1, step.stepCount(), lossSum / seen, test, seconds);
            if (metrics != null) {
                metrics.add(new MetricsLog.Epoch(epoch + 1, step.stepCount(), lossSum / seen, test.loss(),
                        test.accuracy(), seconds));
            }
            if (config.checkpoint() != null) save(config.checkpoint(), epoch + 1, 0);
        }
        return Outcome.FINISHED;
    }

    /** Saves the model (and, beside it, the optimizer state) at a position: epochs done, batches into the next. */
    void save(Path file, int epoch, int batch) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Checkpoint.EPOCH, Integer.toString(epoch));
        meta.put(Checkpoint.BATCH, Integer.toString(batch));
        meta.put(Checkpoint.STEP, Long.toString(step.stepCount()));
        meta.put("seed", Long.toString(config.seed()));
        meta.put("batch_size", Integer.toString(batch));
        meta.put("samples", Integer.toString(config.samples()));
        step.saveState(file);
        Checkpoint.save(file, model, meta);
    }

    /** Fisher-Yates with a generator that depends only on the seed and the epoch. */
    static void shuffle(int[] order, long seed, int epoch) {
        for (int i = 0; i < order.length; i++) order[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = order.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
}
