package org.panagrad.demo;

import org.panagrad.io.Dataset;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.NonFiniteException;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * The training loop, over a {@link BatchStep}: first-order optimizers keep the last smaller batch of an
 * epoch (as PyTorch's DataLoader does by default), closure optimizers drop it. The order of the images is
 * shuffled each epoch by a generator seeded from the seed and the epoch number, so a run is reproducible for
 * a given seed (and thread count) and a resumed run sees the same batches the uninterrupted one would have.
 *
 * <p>Checkpoints ({@link CheckpointFiles}) record the epoch, the batch within it and the optimizer's step, after
 * every epoch and, with {@code checkpointEvery}, every that many steps. {@link #requestStop()} (Ctrl-C) makes the
 * loop save after the current step and return.
 *
 * <p>Every step is checked for a non-finite loss or gradient ({@link BatchStep#status}: the loss, and the
 * gradient norms the fused updates add up in their own pass). By default the
 * run stops there, naming the step, and the last checkpoint, written before, stays as it was. With
 * {@link NonFinitePolicy#SKIP} the step is undone instead, as mixed-precision loss scalers skip a step: the
 * parameters and optimizer state are copied aside every {@link #REMEMBER_EVERY} steps (one copy of the model and its
 * optimizer state per 64 steps), and a bad step puts that copy back and replays the good steps since, which are
 * deterministic, so the run goes on exactly as if the bad step had never been taken.
 */
final class Trainer {
    /** What a non-finite step does: stop the run (the default), or skip the step. */
    enum NonFinitePolicy { STOP, SKIP }

    record Config(int batch, int epochs, int samples, long seed, CheckpointFiles checkpoint, int checkpointEvery,
                  NonFinitePolicy onNonFinite, int logEvery, Map<String, String> runMetadata, String lrAdvice) {}

    enum Outcome { FINISHED, STOPPED }

    /** Steps between the copies that a skipped step rolls back to. */
    static final int REMEMBER_EVERY = 64;
    /** Skipping gives up after this many non-finite steps in a row: the run has diverged, not hit one bad batch. */
    static final int MAX_CONSECUTIVE_SKIPS = 10;
    /** A smoothed loss this many times its lowest so far is diverging. */
    static final double EXPLOSION_FACTOR = 100;

    private final Model model;
    /** --augment: a random crop of every training image, or null. */
    private RandomCrop crop;
    private final Dataset train;
    private final BatchStep step;
    private final Config config;
    private final PrintWriter out;
    private final PrintWriter err;
    private final IntFunction<Progress> progress;
    private final Evaluator evaluator;
    private final int batch;
    private final float[] images;
    private final int[] labels;

    private volatile boolean stopRequested;
    /** 0 before the loop, 1 while it runs, 2 after. */
    private volatile int state;
    private String savedAt;

    private int startEpoch;
    private int startBatch;
    private long skipped;
    private double smoothedLoss = Double.NaN, lowestSmoothed = Double.POSITIVE_INFINITY;
    private boolean warnedOfExplosion;
    private boolean detectingAnomaly;
    private TrainingObserver observer = TrainingObserver.NONE;

    Trainer(Model model, Dataset train, Dataset test, BatchStep.Factory steps, Config config, PrintWriter out,
            PrintWriter err, IntFunction<Progress> progress) {
        OptionRanges.atLeast("--batch", config.batch(), 1);
        OptionRanges.atLeast("--epochs", config.epochs(), 1);
        OptionRanges.between("--samples", config.samples(), 1, train.count(), "the training images available");
        if (train.pixelsPerImage() != model.inputWidth()) {
            throw new IllegalArgumentException("the images have " + train.pixelsPerImage() + " pixels but the first layer"
                    + " takes " + model.inputWidth() + " inputs; use --layers " + train.pixelsPerImage() + "-...");
        }
        this.model = model;
        this.train = train;
        this.config = config;
        this.out = out;
        this.err = err;
        this.progress = progress;
        this.evaluator = new Evaluator(model, test);
        batch = Math.min(config.batch(), config.samples());
        step = steps.create(model, batch, config.samples() % batch);
        images = new float[batch * model.inputWidth()];
        labels = new int[batch];
    }

    /** Augments every training image with a random crop: shifts of up to {@code padding} pixels (--augment). */
    void augment(int padding) {
        int side = (int) Math.round(Math.sqrt(model.inputWidth()));
        if (side * side != model.inputWidth()) throw new IllegalArgumentException("--augment needs square images");
        crop = new RandomCrop(side, padding, config.seed());
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

    /** Turns on {@code --detect-anomaly} in the step's programs. */
    void detectAnomaly() {
        step.detectAnomaly();
        detectingAnomaly = true;
    }

    /**
     * Continues from a checkpoint's position: {@code epoch} epochs done, then {@code batch} batches of the next,
     * with the optimizer at {@code steps} steps (fewer than the batches when steps were skipped).
     */
    void resumeAt(int epoch, int batchInEpoch, long steps, long skippedBefore) {
        if (epoch < 0 || batchInEpoch < 0 || batchInEpoch >= batchesPerEpoch()) {
            throw new IllegalArgumentException("cannot resume at epoch " + epoch + ", batch " + batchInEpoch + ": an epoch has "
                    + batchesPerEpoch() + " batches (was the checkpoint written with another --batch, --samples or --optimizer?)");
        }
        startEpoch = epoch;
        startBatch = batchInEpoch;
        step.setStepCount(steps);
        skipped = skippedBefore;
    }

    /**
     * Restores the optimizer's state from {@code stateFile} at step {@code stepTag}; returns null when it did, else
     * the warning to print (the optimizer then starts from its initial state).
     */
    String restoreOptimizerState(java.nio.file.Path stateFile, long stepTag) throws IOException {
        return step.restoreState(stateFile, stepTag) ? null : step.restartWarning();
    }

    /** Tells {@code observer} about every step and epoch (TensorBoard logs, the report's data). */
    void observe(TrainingObserver observer) {
        this.observer = observer;
    }

    /**
     * Asks the loop to save a checkpoint after the current step and return. Safe from any thread; returns false
     * when the loop is not running (not started yet, or done).
     */
    boolean requestStop() {
        stopRequested = true;
        return state == 1;
    }

    /** Whether the loop has started. */
    boolean started() {
        return state != 0;
    }

    /** The last checkpoint written in this run and its position, "model.safetensors (step 57: epoch 1, batch 57)", or null. */
    String savedAt() {
        return savedAt;
    }

    long skippedSteps() {
        return skipped;
    }

    Outcome run(MetricsLog metrics) throws IOException {
        state = 1;
        try {
            return loop(metrics);
        } finally {
            state = 2;
        }
    }

    private Outcome loop(MetricsLog metrics) throws IOException {
        int n = config.samples(), batches = batchesPerEpoch();
        boolean skip = config.onNonFinite() == NonFinitePolicy.SKIP;
        int[] order = new int[n];
        for (int epoch = startEpoch; epoch < config.epochs(); epoch++) {
            shuffle(order, config.seed(), epoch);
            long t0 = System.nanoTime();
            double lossSum = 0;
            int seen = 0;
            long skippedBefore = skipped;
            int first = epoch == startEpoch ? startBatch : 0;
            int rememberedAt = first, inARow = 0;
            if (skip) step.remember();
            try (Progress bar = progress.apply(epoch)) {
                for (int b = first; b < batches; b++) {
                    if (stopRequested) {
                        save(epoch, b);
                        return Outcome.STOPPED;
                    }
                    int size = gather(order, epoch, b);
                    long index = step.stepCount();
                    observer.beforeStep(index, images, labels, size);
                    float loss = run(epoch, b, size);
                    if (step.status() != TrainingStep.Status.FINITE) {
                        String what = nonFinite(epoch, b, loss);
                        if (!skip) {
                            observer.afterStep(index, loss, size); // the logs show the step that stopped the run
                            throw new IllegalArgumentException(what + stopAdvice());
                        }
                        skipped++;
                        if (++inARow > MAX_CONSECUTIVE_SKIPS) {
                            throw new IllegalArgumentException(what + "; that is " + inARow + " non-finite steps in a row:"
                                    + " the run has diverged, not hit a bad batch" + stopAdvice());
                        }
                        replay(order, epoch, rememberedAt, b);
                        err.println("warning: " + what + "; skipped it (" + skipped + " skipped so far)");
                        err.flush();
                        step.remember();
                        rememberedAt = b + 1;
                        continue;
                    }
                    observer.afterStep(index, loss, size);
                    inARow = 0;
                    lossSum += (double) loss * size;
                    seen += size;
                    bar.step(size, lossSum / seen);
                    watchForExplosion(loss, epoch, b);
                    if (config.logEvery() > 0 && step.stepCount() % config.logEvery() == 0) {
                        out.printf(Locale.ROOT, "step %d (epoch %d, batch %d): loss %.9g%n", step.stepCount(), epoch + 1,
                                b + 1, loss);
                        out.flush();
                    }
                    if (config.checkpointEvery() > 0 && step.stepCount() % config.checkpointEvery() == 0 && b + 1 < batches) {
                        save(epoch, b + 1);
                    }
                    if (skip && b + 1 - rememberedAt >= REMEMBER_EVERY) {
                        step.remember();
                        rememberedAt = b + 1;
                    }
                }
            }
            Evaluator.Result test = evaluator.run();
            double seconds = (System.nanoTime() - t0) / 1e9;
            long skippedNow = skipped - skippedBefore;
            out.printf(Locale.ROOT, "epoch %d/%d  train loss %s  test loss %s  test accuracy %.2f%%  %.1f s%s%n",
                    epoch + 1, config.epochs(), seen == 0 ? "-" : loss(lossSum / seen), loss(test.loss()),
                    100 * test.accuracy(), seconds,
                    skippedNow == 0 ? "" : "  (" + skippedNow + " non-finite step" + (skippedNow == 1 ? "" : "s") + " skipped)");
            out.flush();
            observer.afterEpoch(epoch + 1, step.stepCount(), seen == 0 ? Double.NaN : lossSum / seen, test, seconds);
            if (metrics != null) {
                metrics.add(new MetricsLog.Epoch(epoch + 1, step.stepCount(), seen == 0 ? Double.NaN : lossSum / seen,
                        test.loss(), test.accuracy(), seconds));
            }
            save(epoch + 1, 0);
        }
        return Outcome.FINISHED;
    }

    /** 0.1234, or 1.608e+20 for a loss too large for four decimals to say anything. */
    private static String loss(double value) {
        return String.format(Locale.ROOT, Math.abs(value) < 1e4 ? "%.4f" : "%.4g", value);
    }

    /** One step; with --detect-anomaly, the instruction that went wrong becomes the error. */
    private float run(int epoch, int b, int size) {
        try {
            return step.step(images, labels, size);
        } catch (NonFiniteException e) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--detect-anomaly: at step %d (epoch %d, batch %d),"
                    + " in the %s: %s", step.stepCount(), epoch + 1, b + 1, step.phaseOf(e.node()), e.getMessage())
                    + stopAdvice(), e);
        }
    }

    /** Copies batch {@code b} of the epoch's order (cropped with --augment) into the step's arrays; returns its size. */
    private int gather(int[] order, int epoch, int b) {
        int pixels = model.inputWidth(), start = b * batch, size = Math.min(batch, config.samples() - start);
        for (int i = 0; i < size; i++) {
            int k = order[start + i];
            if (crop != null) crop.copy(train.images(), k * pixels, images, i * pixels, epoch, k);
            else System.arraycopy(train.images(), k * pixels, images, i * pixels, pixels);
            labels[i] = train.labels()[k];
        }
        return size;
    }

    /** Undoes the steps since the copy taken before batch {@code from}, then takes batches from .. to-1 again. */
    private void replay(int[] order, int epoch, int from, int to) {
        step.rollBack();
        for (int r = from; r < to; r++) {
            float loss = step.step(images, labels, gather(order, epoch, r));
            if (step.status() != TrainingStep.Status.FINITE) {
                throw new IllegalStateException("replaying the steps before a skipped one gave a non-finite " + loss
                        + " at epoch " + (epoch + 1) + ", batch " + (r + 1) + ", which was finite the first time");
            }
        }
    }

    /** "the training loss is NaN at step 57 (epoch 1, batch 57 of 469)" or the gradient's equivalent. */
    private String nonFinite(int epoch, int b, float loss) {
        String where = String.format(Locale.ROOT, "at step %d (epoch %d, batch %d of %d)", step.stepCount(), epoch + 1,
                b + 1, batchesPerEpoch());
        return step.status() == TrainingStep.Status.NONFINITE_LOSS ? "the training loss is " + loss + " " + where
                : step.nonFiniteDetail() + " " + where + " (the loss was " + loss + ")";
    }

    private String stopAdvice() {
        String kept = savedAt != null ? "the last good checkpoint is " + savedAt
                : "no checkpoint was written in this run" + (config.checkpoint() != null && java.nio.file.Files.exists(
                config.checkpoint().model()) ? " (" + config.checkpoint().model() + " is as it was)" : "");
        List<String> options = new ArrayList<>(List.of(config.lrAdvice()));
        if (config.onNonFinite() == NonFinitePolicy.STOP) options.add("--on-nonfinite skip to skip such steps");
        if (!detectingAnomaly) options.add("--detect-anomaly to find the operation that produced it");
        String advice = options.size() == 1 ? options.get(0) : String.join(", ", options.subList(0, options.size() - 1))
                + (options.size() > 2 ? "," : "") + " or " + options.get(options.size() - 1);
        return "; stopped, and did not save this model: " + kept + ". " + advice;
    }

    /**
     * Warns once when the smoothed loss has grown a hundredfold over its lowest point while staying finite: the
     * run is diverging (a learning rate far too large drives it to 1e15 and beyond before it overflows).
     */
    private void watchForExplosion(float loss, int epoch, int b) {
        smoothedLoss = Double.isNaN(smoothedLoss) ? loss : 0.9 * smoothedLoss + 0.1 * loss;
        lowestSmoothed = Math.min(lowestSmoothed, smoothedLoss);
        if (!warnedOfExplosion && smoothedLoss > EXPLOSION_FACTOR * lowestSmoothed && lowestSmoothed > 0) {
            warnedOfExplosion = true;
            err.printf(Locale.ROOT, "warning: the training loss has grown from %.4g to %.4g (smoothed over steps) by step %d"
                    + " (epoch %d, batch %d): the run is diverging. %s%n", lowestSmoothed, smoothedLoss, step.stepCount(),
                    epoch + 1, b + 1, config.lrAdvice());
            err.flush();
        }
    }

    /** Saves the model and the optimizer state at a position: epochs done, batches into the next. */
    private void save(int epoch, int batchInEpoch) throws IOException {
        if (config.checkpoint() == null) return;
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Checkpoint.EPOCH, Integer.toString(epoch));
        meta.put(Checkpoint.BATCH, Integer.toString(batchInEpoch));
        meta.put(Checkpoint.STEP, Long.toString(step.stepCount()));
        meta.put(Checkpoint.SKIPPED, Long.toString(skipped));
        meta.put(Checkpoint.SEED, Long.toString(config.seed()));
        meta.put(Checkpoint.BATCH_SIZE, Integer.toString(batch));
        meta.put(Checkpoint.SAMPLES, Integer.toString(config.samples()));
        meta.putAll(config.runMetadata());
        config.checkpoint().save(model, step, meta);
        savedAt = String.format(Locale.ROOT, "%s (step %d: epoch %d, batch %d)", config.checkpoint().model(), step.stepCount(),
                batchInEpoch == 0 ? epoch : epoch + 1, batchInEpoch == 0 ? batchesPerEpoch() : batchInEpoch);
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
