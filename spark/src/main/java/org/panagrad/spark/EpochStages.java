package org.panagrad.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * Synchronous training over whole epochs, in barrier stages of {@code epochsPerStage} epochs each: the driver's
 * side of `train --optimizer sgd|adam`. Spark does not rerun a failed barrier stage that returns results (a barrier
 * ResultStage: its DAGScheduler aborts the job, "Could not recover from a failed barrier ResultStage"), and a
 * rerun of a barrier stage would restart all its tasks from the stage's start anyway. So the driver keeps the
 * latest state it has (parameters, running statistics, optimizer state): the end of every completed stage, and
 * every epoch end inside a running stage, which task 0 sends as it passes ({@link EpochReports}). A failed stage
 * reruns from there, at most {@code retries} times: a failure costs at most the epoch it happened in, however many
 * epochs a stage holds, and a stage over the whole run pays its start-up (60-340 ms measured on local[2]) once.
 * The split into stages changes no bit of the result ({@link BarrierTraining}), and neither does a retry.
 */
public final class EpochStages {
    /**
     * One barrier stage: steps [firstStep, firstStep + steps) from the given state, telling {@code epochEnds} the
     * state and the epoch's step losses at every epoch end before its last step ({@link BarrierTraining#run}).
     */
    @FunctionalInterface
    public interface Stage {
        BarrierTraining.Result run(FlatUpdate update, float[] theta, float[] buffers, long firstStep, int steps,
                                   BiConsumer<State, double[]> epochEnds);
    }

    /** Where training stands after {@code epochsDone} epochs: what the next stage starts from. */
    public record State(int epochsDone, float[] parameters, float[] buffers, FlatUpdate update) {
    }

    /** Told about every completed stage and epoch, and every failed attempt that will be retried. */
    public interface Listener {
        /** Epochs [firstEpoch, firstEpoch + epochs) completed in {@code seconds}; {@code after} is the new state. */
        void completed(int firstEpoch, int epochs, BarrierTraining.Result result, State after, double seconds) throws IOException;

        /**
         * An epoch inside a running stage ended (not a stage's last, which {@link #completed} gets): {@code after} is
         * the state there and {@code losses} that epoch's step losses. Called on another thread while the driver
         * waits for the stage; a failure here fails the run, not the stage.
         */
        default void epochEnded(State after, double[] losses) throws IOException {
        }

        /** A stage failed on its {@code attempt}-th try; epochs [firstEpoch, firstEpoch + epochs) run again. */
        default void retrying(int firstEpoch, int epochs, int attempt, RuntimeException failure) {
        }
    }

    private final Stage stage;
    private final int stepsPerEpoch, epochsPerStage, retries;

    /**
     * @param epochsPerStage epochs per barrier stage (at least 1)
     * @param retries        reruns of a failed stage before its failure ends the run (0: none)
     */
    public EpochStages(Stage stage, int stepsPerEpoch, int epochsPerStage, int retries) {
        if (stepsPerEpoch < 1 || epochsPerStage < 1 || retries < 0) {
            throw new IllegalArgumentException("epoch stages need at least 1 step per epoch and 1 epoch per stage, and no negative "
                    + "retries; got " + stepsPerEpoch + ", " + epochsPerStage + " and " + retries);
        }
        this.stage = stage;
        this.stepsPerEpoch = stepsPerEpoch;
        this.epochsPerStage = epochsPerStage;
        this.retries = retries;
    }

    /** Trains from {@code from} until {@code epochs} epochs are done; returns the final state. */
    public State run(State from, int epochs, Listener listener) {
        State at = from;
        while (at.epochsDone() < epochs) {
            int end = Math.min(at.epochsDone() + epochsPerStage, epochs);
            AtomicReference<State> latest = new AtomicReference<>(at); // the state a rerun starts from
            BiConsumer<State, double[]> epochEnds = (after, losses) -> {
                latest.set(after);
                try {
                    listener.epochEnded(after, losses);
                } catch (IOException | UncheckedIOException e) { // the driver's failure: not the stage's to retry
                    throw new IllegalStateException("after epoch " + after.epochsDone() + ": " + e.getMessage(), e);
                }
            };
            for (int attempt = 1; ; attempt++) {
                State start = latest.get();
                int first = start.epochsDone(), count = end - first;
                long t = System.nanoTime();
                BarrierTraining.Result r;
                try {
                    r = stage.run(start.update(), start.parameters(), start.buffers(), (long) first * stepsPerEpoch, count * stepsPerEpoch,
                            epochEnds);
                } catch (DistributedException | UncheckedIOException failure) {
                    if (attempt > retries) throw failure;
                    State resume = latest.get();
                    listener.retrying(resume.epochsDone(), end - resume.epochsDone(), attempt, failure);
                    continue;
                }
                at = new State(end, r.parameters(), r.buffers(), r.update());
                try {
                    listener.completed(first, count, r, at, (System.nanoTime() - t) / 1e9);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                break;
            }
        }
        return at;
    }
}
