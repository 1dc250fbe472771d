package org.panagrad.demo;

import java.io.IOException;

/**
 * What the training loop tells the tools that watch it (TensorBoard logs, the report's data), kept out of the
 * loop itself. {@code step} is the index of the step, counting from 0 over the whole run.
 */
interface TrainingObserver {
    /** Before a step on the first {@code size} images and labels, which the observer may read, not change. */
    default void beforeStep(long step, float[] images, int[] labels, int size) throws IOException {}

    /** After the step, with its loss (at the parameters before it). */
    default void afterStep(long step, float loss, int size) throws IOException {}

    /** After each epoch's evaluation; {@code step} is the number of steps taken so far. */
    default void afterEpoch(int epoch, long step, double trainLoss, Evaluator.Result test, double seconds) throws IOException {}

    TrainingObserver NONE = new TrainingObserver() {};
}
