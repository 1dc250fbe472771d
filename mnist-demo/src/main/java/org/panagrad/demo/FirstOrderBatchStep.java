package org.panagrad.demo;

import org.panagrad.optim.Optimizer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What the steps of a first-order optimizer compiled into the training program share: the step count and the
 * state saved next to a checkpoint are the optimizer's, which lives in the parameter store.
 */
abstract class FirstOrderBatchStep implements BatchStep {
    final Model model;
    final String name;
    final Optimizer optimizer;

    /** @param name the optimizer's command-line name, which tags its saved state */
    FirstOrderBatchStep(Model model, String name, Optimizer optimizer) {
        this.model = model;
        this.name = name;
        this.optimizer = optimizer;
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
