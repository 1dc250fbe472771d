package org.panagrad.demo;

import org.panagrad.graph.Node;
import org.panagrad.optim.Optimizer;
import org.panagrad.optim.TrainingStep;

import java.util.ArrayList;
import java.util.List;

/**
 * A first-order optimizer compiled into the training step. When the batch size does not divide the data, a
 * second step is compiled for the last smaller batch (as PyTorch's DataLoader keeps it by default); both share
 * the optimizer's moments and step count, which live in the parameter store.
 */
final class CompiledBatchStep extends FirstOrderBatchStep {
    private final Model.Batch fullBatch, lastBatch;
    private final TrainingStep full, last;
    private TrainingStep lastRun;

    /** @param name the optimizer's command-line name, which tags its saved state */
    CompiledBatchStep(Model model, String name, Optimizer optimizer, int batch, int lastBatch) {
        super(model, name, optimizer);
        this.fullBatch = model.trainingBatch("train", batch);
        this.full = TrainingStep.compile(model.store, fullBatch.loss(), model.parameters(), optimizer, false,
                fullBatch.stateUpdates());
        this.lastBatch = lastBatch == 0 ? null : model.trainingBatch("train_last", lastBatch);
        this.last = lastBatch == 0 ? null : TrainingStep.compile(model.store, this.lastBatch.loss(), model.parameters(),
                optimizer, false, this.lastBatch.stateUpdates());
        lastRun = full;
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
        lastRun = step;
        return step.run();
    }

    @Override
    TrainingStep lastRun() {
        return lastRun;
    }

    @Override
    Node lastLoss() {
        return (lastRun == full ? fullBatch : lastBatch).loss();
    }

    @Override
    List<TrainingStep> steps() {
        List<TrainingStep> steps = new ArrayList<>(List.of(full));
        if (last != null) steps.add(last);
        return steps;
    }
}
