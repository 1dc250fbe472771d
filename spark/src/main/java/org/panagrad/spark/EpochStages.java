package org.panagrad.spark;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Synchronous training over whole epochs, in barrier stages of {@code epochsPerStage} epochs each: the driver's
 * side of `train --optimizer sgd|adam`. Spark does not rerun a failed barrier stage that returns results (a barrier
 * ResultStage: its DAGScheduler aborts the job, "Could not recover from a failed barrier ResultStage"), and a
 * rerun of a barrier stage would restart all its tasks from the stage's start anyway. So the driver keeps the
 * state at the end of every completed stage (parameters, running statistics, optimizer state) and reruns a failed
 * stage from there, at most {@code retries} times: a failure costs at most the stage it happened in. One epoch per
 * stage loses at most an epoch, at the price of a stage's start-up per epoch (60-340 ms measured on local[2]);
 * one stage for the whole run starts once but reruns whole. The split into stages changes no bit of the result
 * ({@link BarrierTraining}), and neither does a retry.
 */
public final class EpochStages {
    /** One barrier stage: steps [firstStep, firstStep + steps) from the given state ({@link BarrierTraining#run}). */
    @FunctionalInterface
    public interface Stage {
        BarrierTraining.Result run(FlatUpdate update, float[] theta, float[] buffers, long firstStep, int steps);
    }

    /** Where training stands after {@code epochsDone} epochs: what the next stage starts from. */
    public record State(int epochsDone, float[] parameters, float[] buffers, FlatUpdate update) {
    }

    /** Told about every completed stage, and every failed attempt that will be retried. */
    public interface Listener {
        /** Epochs [firstEpoch, firstEpoch + epochs) completed in {@code seconds}; {@code after} is the new state. */
        void completed(int firstEpoch, int epochs, BarrierTraining.Result result, State after, double seconds) throws IOException;

        /** The stage of epochs [firstEpoch, firstEpoch + epochs) failed on its {@code attempt}-th try and runs again. */
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
            int first = at.epochsDone(), count = Math.min(epochsPerStage, epochs - first);
            for (int attempt = 1; ; attempt++) {
                long t = System.nanoTime();
                BarrierTraining.Result r;
                try {
                    r = stage.run(at.update(), at.parameters(), at.buffers(), (long) first * stepsPerEpoch, count * stepsPerEpoch);
                } catch (DistributedException | UncheckedIOException failure) {
                    if (attempt > retries) throw failure;
                    listener.retrying(first, count, attempt, failure);
                    continue;
                }
                at = new State(first + count, r.parameters(), r.buffers(), r.update());
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
