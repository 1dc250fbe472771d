package org.panagrad.demo;

import org.panagrad.optim.Optimizer;
import org.panagrad.optim.TrainingStep;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A first-order optimizer compiled into the training step. When the batch size does not divide the data, a
 * second step is compiled for the last smaller batch (as PyTorch's DataLoader keeps it by default); both share
 * the optimizer's moments and step count, which live in the parameter store.
 */
final class CompiledBatchStep implements BatchStep {
    private final Model model;
    private final String name;
    private final Optimizer optimizer;
    private final Model.Batch fullBatch, lastBatch;
    private final TrainingStep full, last;

    /** @param name the optimizer's command-line name, which tags its saved state */
    CompiledBatchStep(Model model, String name, Optimizer optimizer, int batch, int lastBatch) {
        this.model = model;
        this.name = name;
        this.optimizer = optimizer;
        this.fullBatch = model.trainingBatch("train", batch);
        this.full = TrainingStep.compile(model.store, fullBatch.loss(), model.parameters(), optimizer, false,
                fullBatch.stateUpdates());
        this.lastBatch = lastBatch == 0 ? null : model.trainingBatch("train_last", lastBatch);
        this.last = lastBatch == 0 ? null : TrainingStep.compile(model.store, this.lastBatch.loss(), model.parameters(),
                optimizer, false, this.lastBatch.stateUpdates());
    }

    @Override
    public float step(float[] images, int[] labels, int size) {
        boolean isFull = size == fullBatch.size();
        if (!isFull && (lastBatch == null || size != lastBatch.size())) {
            throw new IllegalArgumentException("no training step compiled for a batch of " + size + " images; expected "
                    + fullBatch.size() + (lastBatch == null ? "" : " or " + lastBatch.size()));
        }
        TrainingStep step = isFull ? full : last;
        Model.Batch feed = isFull ? fullBatch : lastBatch;
        // Read in place: the trainer gathers every batch into the same array, so this binds once.
        step.program().bind(feed.images(), images, 0);
        step.program().setLabels(feed.labels(), labels, 0);
        return step.run();
    }

    @Override
    public long stepCount() {
        return optimizer.stepCount();
    }

    @Override
    public void setStepCount(long steps) {
        optimizer.setStepCount(steps);
    }

    @Override
    public boolean dropsPartialBatch() {
        return false;
    }

    @Override
    public void saveState(Path modelFile) throws IOException {
        Checkpoint.saveOptimizer(modelFile, model, name, optimizer);
    }

    @Override
    public boolean restoreState(Path modelFile, long step) throws IOException {
        return Checkpoint.loadOptimizer(modelFile, step, model, name, optimizer);
    }

    @Override
    public String restartWarning() {
        return "no matching optimizer state next to it: momentum and moments start from zero";
    }
}
