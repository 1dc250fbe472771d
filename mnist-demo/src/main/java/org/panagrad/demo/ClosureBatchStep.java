package org.panagrad.demo;

import org.panagrad.io.SafeTensorsFile;
import org.panagrad.optim.secondorder.BatchFeeder;
import org.panagrad.optim.secondorder.ClosureOptimizer;
import org.panagrad.optim.secondorder.OptimizerSnapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A closure optimizer (Newton-CG, AdaHessian, L-BFGS): it compiled its own programs over the model for one
 * batch size and runs them as often as a step needs. Its state lives in Java arrays inside the optimizer, so a
 * second instance compiled for a smaller last batch could not share it: the last partial batch of an epoch is
 * dropped. Checkpoints save that state ({@link ClosureOptimizer#snapshot()}) in the optimizer sidecar, so a
 * resumed run continues exactly where the interrupted one stopped.
 */
final class ClosureBatchStep implements BatchStep {
    private final String name;
    private final String state;
    private final ClosureOptimizer optimizer;
    private final int batch;
    private final BatchFeeder feeder;
    private float[] images;
    private int[] labels;
    private long stepsBeforeResume;

    /**
     * @param name      the optimizer's command-line name, for messages and as the tag of its saved state
     * @param state     what the optimizer keeps between steps, for the warning when a checkpoint lacks it
     * @param inputs    the batches the optimizer's programs read; each is fed from the start of the step's data,
     *                  so a smaller one (a curvature sub-batch) sees the first images of the minibatch
     */
    ClosureBatchStep(String name, String state, ClosureOptimizer optimizer, List<Model.Batch> inputs) {
        this.name = name;
        this.state = state;
        this.optimizer = optimizer;
        this.batch = inputs.get(0).size();
        List<Model.Batch> fed = List.copyOf(inputs);
        this.feeder = program -> {
            for (Model.Batch b : fed) {
                program.bind(b.images(), images, 0); // read in place: the trainer refills the same array
                program.setLabels(b.labels(), labels, 0);
            }
        };
    }

    @Override
    public float step(float[] images, int[] labels, int size) {
        if (size != batch) {
            throw new IllegalArgumentException(name + " was compiled for batches of " + batch + " images, got " + size);
        }
        this.images = images;
        this.labels = labels;
        return optimizer.step(feeder);
    }

    @Override
    public long stepCount() {
        return stepsBeforeResume + optimizer.stepCount();
    }

    @Override
    public void setStepCount(long steps) {
        stepsBeforeResume = steps - optimizer.stepCount();
    }

    @Override
    public boolean dropsPartialBatch() {
        return true;
    }

    @Override
    public void saveState(Path modelFile) throws IOException {
        OptimizerSnapshot state = optimizer.snapshot();
        Checkpoint.saveOptimizer(modelFile, name, stepCount(), state.tensors(), state.scalars());
    }

    @Override
    public boolean restoreState(Path modelFile, long step) throws IOException {
        SafeTensorsFile saved = Checkpoint.readOptimizer(modelFile, name, step);
        if (saved == null) return false;
        try {
            optimizer.restore(new OptimizerSnapshot(optimizer.name(), saved.tensors(), saved.metadata()));
        } catch (IllegalArgumentException e) { // another model's state, or a sidecar from before they were named
            throw new CheckpointException(Checkpoint.optimizerSidecar(modelFile), e.getMessage());
        }
        setStepCount(step); // the optimizer now counts the steps it restored
        return true;
    }

    @Override
    public String restartWarning() {
        return "no matching optimizer state next to it: " + name + "'s state (" + state + ") restarts from its initial"
                + " state, so the resumed run will not match an uninterrupted one exactly";
    }
}
