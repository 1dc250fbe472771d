package org.panagrad.demo;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One optimizer step on one batch, whatever kind of optimizer takes it: a first-order optimizer fused into a
 * compiled training step ({@link CompiledBatchStep}) or a closure optimizer that runs its own programs
 * ({@link ClosureBatchStep}). The training loop sees only this.
 */
interface BatchStep {
    /**
     * Steps on the first {@code size} images and labels of the arrays (images row-major, one image after
     * another) and returns the mean loss on them at the parameters before the step.
     */
    float step(float[] images, int[] labels, int size);

    /** Steps taken so far (counting those before a resume). */
    long stepCount();

    /** Continues counting from a given step, when resuming from a checkpoint. */
    void setStepCount(long steps);

    /**
     * Whether the last batch of an epoch, when smaller than the others, is skipped (PyTorch's drop_last):
     * programs have static shapes, and not every optimizer can share its state with a second instance
     * compiled for the smaller batch.
     */
    boolean dropsPartialBatch();

    /** Writes what resuming needs beside the model checkpoint {@code modelFile}. */
    void saveState(Path modelFile) throws IOException;

    /**
     * Restores the state {@link #saveState} wrote next to {@code modelFile} at step {@code step}; returns
     * whether it did. When not, the optimizer continues from its initial state and {@link #restartWarning}
     * says what that means.
     */
    boolean restoreState(Path modelFile, long step) throws IOException;

    /** What is lost when the state is not restored, for the warning printed on resume. */
    String restartWarning();

    /** Builds the step for a model, full batch size and last batch size (0: the batches divide the data). */
    @FunctionalInterface
    interface Factory {
        BatchStep create(Model model, int batch, int lastBatch);
    }
}
