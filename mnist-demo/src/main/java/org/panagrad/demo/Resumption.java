package org.panagrad.demo;

import org.panagrad.nn.Activation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * A run resuming from a checkpoint ({@code train --resume}): what it takes from the checkpoint and what it may
 * not change. The batch size, seed and sample count are the checkpoint's unless given; giving another one, or
 * another activation or data set, would not continue the same run, so it is refused unless
 * {@code --allow-mismatch} names it. The architecture can never change: the weights would not fit.
 */
final class Resumption {
    /** What --allow-mismatch may name. */
    static final List<String> MISMATCHES = List.of("activation", "batch", "seed", "samples", "data", "schedule");

    private final Path file;
    private final Checkpoint checkpoint;
    private final Set<String> allowed;
    private int epochsDone;

    private Resumption(Path file, Checkpoint checkpoint, Set<String> allowed) {
        this.file = file;
        this.checkpoint = checkpoint;
        this.allowed = allowed;
    }

    /** The names --allow-mismatch gives, checked; {@code resuming} says whether there is a --resume at all. */
    static Set<String> allowedMismatches(List<String> given, boolean resuming) {
        Set<String> names = new TreeSet<>();
        if (given == null) return names;
        if (!resuming) throw new IllegalArgumentException("--allow-mismatch applies only with --resume");
        for (String name : given) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            if (!MISMATCHES.contains(n)) {
                throw new IllegalArgumentException("--allow-mismatch " + name + ": expected any of " + String.join(", ", MISMATCHES));
            }
            names.add(n);
        }
        return names;
    }

    /** Loads the checkpoint (weights finite) and checks the --layers and --activation given against it. */
    static Resumption load(Path file, String modelName, String layers, int[] widths, Activation activation,
                           Set<String> allowed) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException("--resume " + file + ": is a directory; expected a checkpoint file");
        }
        if (!Files.exists(file)) throw new IllegalArgumentException("--resume " + file + ": no such file");
        Checkpoint checkpoint = Checkpoint.load(file, activation, modelName);
        checkpoint.requireFinite(file);
        if (widths != null && checkpoint.widths() != null && !Arrays.equals(widths, checkpoint.widths())) {
            throw new IllegalArgumentException("--layers " + layers + " disagrees with " + file + ", which holds a "
                    + Model.widthsText(checkpoint.widths()) + " model: its weights cannot take another shape (start a new"
                    + " run instead)");
        }
        Resumption r = new Resumption(file, checkpoint, allowed);
        Activation recorded = checkpoint.recordedActivation(file);
        if (activation != null && recorded != null && activation != recorded) {
            r.refuse("activation", "--activation " + activation.name().toLowerCase(Locale.ROOT),
                    "activation " + recorded.name().toLowerCase(Locale.ROOT));
        }
        return r;
    }

    Path file() {
        return file;
    }

    Checkpoint checkpoint() {
        return checkpoint;
    }

    /** Refuses other data than the checkpoint was trained on, unless allowed. */
    void checkData(DataIdentity identity, Path dataDirectory) {
        if (!allowed.contains("data")) identity.check(checkpoint.metadata(), file, dataDirectory, true, "--allow-mismatch data");
    }

    /**
     * Refuses another optimizer, learning rate, schedule (its length included) or weight decay than the checkpoint
     * was trained with, unless allowed: {@code plan} reads as the run's opening line shows it. Another optimizer is
     * left to the check of its saved state, which names both.
     */
    void checkSchedule(String optimizer, String plan) {
        String recorded = checkpoint.metadata().get(Checkpoint.SCHEDULE);
        if (recorded == null || recorded.equals(plan) || !optimizer.equals(checkpoint.metadata().get(Checkpoint.OPTIMIZER))) {
            return;
        }
        refuse("schedule", "the schedule " + plan, "schedule " + recorded);
    }

    long seed(Long given) {
        return agree("seed", given, checkpoint.recordedLong(Checkpoint.SEED), 1L);
    }

    int batch(Integer given, int fallback) {
        return Math.toIntExact(agree("batch", given == null ? null : (long) given, recordedBatch(), (long) fallback));
    }

    /** The sample count to use, or null for all the training images. */
    Integer samples(Integer given) {
        Long recorded = checkpoint.recordedLong(Checkpoint.SAMPLES);
        if (given == null) return recorded == null ? null : Math.toIntExact(recorded);
        if (recorded != null && given.longValue() != recorded) refuse("samples", "--samples " + given, recorded + " samples");
        return given;
    }

    /**
     * Checkpoints from before the batch size was recorded right (they have no skipped_steps) hold the batch index
     * under batch_size: theirs is not known.
     */
    private Long recordedBatch() {
        return checkpoint.metadata().containsKey(Checkpoint.SKIPPED) ? checkpoint.recordedLong(Checkpoint.BATCH_SIZE) : null;
    }

    /** Puts the trainer where the checkpoint stopped; returns the line that says so. */
    String resume(Trainer trainer) {
        int epoch = (int) checkpoint.metadataLong(Checkpoint.EPOCH, 0);
        int batchInEpoch = (int) checkpoint.metadataLong(Checkpoint.BATCH, 0);
        Long recordedBatch = recordedBatch();
        if (recordedBatch != null && recordedBatch != trainer.batchSize()) { // --allow-mismatch batch: the images done
            batchInEpoch = (int) (batchInEpoch * recordedBatch / trainer.batchSize());
        }
        if (batchInEpoch >= trainer.batchesPerEpoch()) { // fewer --samples allowed: that epoch is over
            epoch++;
            batchInEpoch = 0;
        }
        long steps = checkpoint.metadataLong(Checkpoint.STEP, (long) epoch * trainer.batchesPerEpoch() + batchInEpoch);
        trainer.resumeAt(epoch, batchInEpoch, steps, checkpoint.metadataLong(Checkpoint.SKIPPED, 0));
        epochsDone = epoch;
        return String.format(Locale.ROOT, "resuming %s at epoch %d, batch %d (step %d)", file, epoch + 1, batchInEpoch + 1, steps);
    }

    /** Epochs completed where {@link #resume} placed the trainer. */
    int epochsDone() {
        return epochsDone;
    }

    /** Restores the optimizer's state saved with the checkpoint; returns null, or the warning when there is none. */
    String restoreOptimizer(Trainer trainer) throws IOException {
        return trainer.restoreOptimizerState(Checkpoint.optimizerState(file, checkpoint.metadata()),
                checkpoint.metadataLong(Checkpoint.STEP, -1));
    }

    /**
     * The value to resume with: the one given, which must equal the checkpoint's unless allowed; the checkpoint's
     * when none is given; the default when neither says.
     */
    private long agree(String what, Long given, Long recorded, long fallback) {
        if (given == null) return recorded != null ? recorded : fallback;
        if (recorded != null && !given.equals(recorded)) {
            refuse(what, "--" + what + " " + given, (what.equals("batch") ? "batch size " : what + " ") + recorded);
        }
        return given;
    }

    private void refuse(String what, String requested, String recorded) {
        if (allowed.contains(what)) return;
        throw new IllegalArgumentException(requested + " differs from the " + recorded + " that " + file + " was trained"
                + " with, so the run would not continue it; leave the option out to use the checkpoint's, or pass"
                + " --allow-mismatch " + what + " to change it anyway");
    }
}
