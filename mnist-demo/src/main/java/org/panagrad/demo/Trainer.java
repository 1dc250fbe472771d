package org.panagrad.demo;

import org.panagrad.io.Dataset;
import org.panagrad.optim.Optimizer;
import org.panagrad.optim.TrainingStep;

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
 * The training loop. One compiled training step for full batches and, when the batch size does not divide
 * the training set, a second one for the last smaller batch (as PyTorch's DataLoader keeps it by default);
 * both share the optimizer's state and step count. The order of the images is shuffled each epoch by a
 * generator seeded from the seed and the epoch number, so a run is reproducible for a given seed (and
 * thread count) and a resumed run sees the same batches the uninterrupted one would have.
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
    private final Optimizer optimizer;
    private final Config config;
    private final PrintWriter out;
    private final IntFunction<Progress> progress;
    private final Evaluator evaluator;
    private final TrainingStep full;
    private final TrainingStep last;
    private final Model.Batch fullBatch;
    private final Model.Batch lastBatch;
    private final float[] images;
    private final int[] labels;

    private volatile boolean stopRequested;
    private final CountDownLatch finished = new CountDownLatch(1);
    private Path savedOnStop;

    private int startEpoch;
    private int startBatch;

    Trainer(Model model, Dataset train, Dataset test, Optimizer optimizer, Config config, PrintWriter out,
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
        this.optimizer = optimizer;
        this.config = config;
        this.out = out;
        this.progress = progress;
        this.evaluator = new Evaluator(model, test);
        int batch = Math.min(config.batch(), config.samples());
        fullBatch = model.batch("train", batch);
        full = TrainingStep.compile(model.store, fullBatch.loss(), model.parameters(), optimizer, false);
        int rest = config.samples() % batch;
        lastBatch = rest == 0 ? null : model.batch("train_last", rest);
        last = rest == 0 ? null : TrainingStep.compile(model.store, lastBatch.loss(), model.parameters(), optimizer, false);
        images = new float[batch * model.inputWidth()];
        labels = new int[batch];
    }

    int batchesPerEpoch() {
        int batch = fullBatch.size();
        return (config.samples() + batch - 1) / batch;
    }

    /** Continues from a checkpoint's position: {@code epoch} epochs done, then {@code batch} batches of the next. */
    void resumeAt(int epoch, int batch) {
        if (epoch < 0 || batch < 0 || batch >= batchesPerEpoch()) {
            throw new IllegalArgumentException("cannot resume at epoch " + epoch + ", batch " + batch + ": an epoch has "
                    + batchesPerEpoch() + " batches (was the checkpoint written with another --batch or --samples?)");
        }
        startEpoch = epoch;
        startBatch = batch;
        optimizer.setStepCount((long) epoch * batchesPerEpoch() + batch);
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
                    int start = b * fullBatch.size();
                    int size = Math.min(fullBatch.size(), n - start);
                    TrainingStep step = size == fullBatch.size() ? full : last;
                    Model.Batch feed = size == fullBatch.size() ? fullBatch : lastBatch;
                    for (int i = 0; i < size; i++) {
                        int k = order[start + i];
                        System.arraycopy(train.images(), k * pixels, images, i * pixels, pixels);
                        labels[i] = train.labels()[k];
                    }
                    step.program().set(feed.images(), images, 0);
                    step.program().setLabels(feed.labels(), labels, 0);
                    float loss = step.run();
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
            if (metrics != null) {
                metrics.add(new MetricsLog.Epoch(epoch + 1, optimizer.stepCount(), lossSum / seen, test.loss(),
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
        meta.put(Checkpoint.STEP, Long.toString(optimizer.stepCount()));
        meta.put("seed", Long.toString(config.seed()));
        meta.put("batch_size", Integer.toString(fullBatch.size()));
        meta.put("samples", Integer.toString(config.samples()));
        Checkpoint.saveOptimizer(file, model, optimizer);
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
