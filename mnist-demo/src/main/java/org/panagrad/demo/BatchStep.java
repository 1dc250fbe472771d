package org.panagrad.demo;

import org.panagrad.optim.TrainingStep;

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
     * another) and returns the mean loss on them at the parameters before the step; {@link #status} then says
     * whether the step stayed finite.
     */
    float step(float[] images, int[] labels, int size);

    /**
     * Whether the last step stayed finite. The compiled step reads the loss and the
     * norms its fused updates accumulated; a closure optimizer's step (many programs) has its parameters scanned.
     */
    TrainingStep.Status status();

    /** After a step whose gradient (not loss) went non-finite: what went, as "the gradient of 0.weight has norm NaN". */
    String nonFiniteDetail();

    /** Steps taken so far (counting those before a resume; skipped steps do not count). */
    long stepCount();

    /** Continues counting from a given step, when resuming from a checkpoint. */
    void setStepCount(long steps);

    /**
     * Whether the last batch of an epoch, when smaller than the others, is skipped (PyTorch's drop_last):
     * programs have static shapes, and not every optimizer can share its state with a second instance
     * compiled for the smaller batch.
     */
    boolean dropsPartialBatch();

    /** Writes what resuming needs besides the model to {@code stateFile}. */
    void saveState(Path stateFile) throws IOException;

    /**
     * Restores the state {@link #saveState} wrote to {@code stateFile} at step {@code step}; returns whether it did.
     * When not, the optimizer continues from its initial state and {@link #restartWarning} says what that means.
     */
    boolean restoreState(Path stateFile, long step) throws IOException;

    /** What is lost when the state is not restored, for the warning printed on resume. */
    String restartWarning();

    /** Copies the parameters and the optimizer's state (and step count) aside, into buffers kept for it. */
    void remember();

    /** Puts back what {@link #remember} copied: the steps since are undone. */
    void rollBack();

    /** Turns anomaly detection on in every program the step runs ({@code --detect-anomaly}). */
    void detectAnomaly();

    /** Where in the model an anomaly's node is, for the message: "the backward pass", .... */
    String phaseOf(org.panagrad.graph.Node node);

    /** Builds the step for a model, full batch size and last batch size (0: the batches divide the data). */
    @FunctionalInterface
    interface Factory {
        BatchStep create(Model model, int batch, int lastBatch);
    }
}
