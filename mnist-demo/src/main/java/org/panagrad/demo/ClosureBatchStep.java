package org.panagrad.demo;

import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.io.SafeTensorsFile;
import org.panagrad.ops.StepCounter;
import org.panagrad.runtime.Program;
import org.panagrad.optim.secondorder.BatchFeeder;
import org.panagrad.optim.secondorder.ClosureOptimizer;
import org.panagrad.optim.secondorder.OptimizerSnapshot;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.Program;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A closure optimizer (Newton-CG, AdaHessian, L-BFGS): it compiled its own programs over the model for one
 * batch size and runs them as often as a step needs. Its state lives in Java arrays inside the optimizer, so a
 * second instance compiled for a smaller last batch could not share it: the last partial batch of an epoch is
 * dropped. Checkpoints save that state ({@link ClosureOptimizer#snapshot()}) in the optimizer sidecar, so a
 * resumed run continues exactly where the interrupted one stopped.
 */
final class ClosureBatchStep implements BatchStep {
    private final Model model;
    private final String name;
    private final String state;
    private final ClosureOptimizer optimizer;
    private final List<float[]> stateCopies = new ArrayList<>();
    private OptimizerSnapshot remembered;
    private long rememberedSteps;
    private TrainingStep.Status status = TrainingStep.Status.FINITE;
    private final int batch;
    private final BatchFeeder feeder;
    /** The running-statistics updates of the training batch (batch norm), run once after each step; or null. */
    private final Program stateUpdates;
    private float[] images;
    private int[] labels;
    private long stepsBeforeResume;

    /**
     * @param name      the optimizer's command-line name, for messages and as the tag of its saved state
     * @param state     what the optimizer keeps between steps, for the warning when a checkpoint lacks it
     * @param inputs    the batches the optimizer's programs read; each is fed from the start of the step's data,
     *                  so a smaller one (a curvature sub-batch) sees the first images of the minibatch
     */
    ClosureBatchStep(Model model, String name, String state, ClosureOptimizer optimizer, List<Model.Batch> inputs) {
        this.model = model;
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
        List<Node> updates = inputs.get(0).stateUpdates();
        this.stateUpdates = updates.isEmpty() ? null : Compiler.compile(model.store, updates);
    }

    @Override
    public float step(float[] images, int[] labels, int size) {
        if (size != batch) {
            throw new IllegalArgumentException(name + " was compiled for batches of " + batch + " images, got " + size);
        }
        this.images = images;
        this.labels = labels;
        // Dropout masks key on the step: every program of this step (losses, gradients, curvature) draws the same.
        Node counter = StepCounter.find(model.graph);
        if (counter != null) model.store.get(counter)[0] = stepCount() + 1;
        float loss = optimizer.step(feeder);
        // As PyTorch's model.train() forward would, the batch's statistics move the running ones, once per step and
        // from the batch the step started at (closure optimizers' own programs never update state).
        if (stateUpdates != null) {
            feeder.feed(stateUpdates);
            stateUpdates.run();
        }
        // A step runs many programs; one pass over the parameters it wrote costs well under 1% of it.
        status = !Float.isFinite(loss) ? TrainingStep.Status.NONFINITE_LOSS
                : parametersFinite() ? TrainingStep.Status.FINITE : TrainingStep.Status.NONFINITE_GRADIENT;
        return loss;
    }

    private boolean parametersFinite() {
        for (Node p : model.parameters()) {
            for (float v : model.store.get(p)) if (!Float.isFinite(v)) return false;
        }
        return true;
    }

    @Override
    public TrainingStep.Status status() {
        return status;
    }

    @Override
    public String nonFiniteDetail() {
        return name + "'s step wrote NaN or infinity into the parameters";
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
    public void saveState(Path stateFile) throws IOException {
        OptimizerSnapshot state = optimizer.snapshot();
        Checkpoint.saveOptimizer(stateFile, name, stepCount(), state.tensors(), state.scalars());
    }

    @Override
    public boolean restoreState(Path stateFile, long step) throws IOException {
        SafeTensorsFile saved = Checkpoint.readOptimizer(stateFile, name, step);
        if (saved == null) return false;
        try {
            optimizer.restore(new OptimizerSnapshot(optimizer.name(), saved.tensors(), saved.metadata()));
        } catch (IllegalArgumentException e) { // another model's state, or a sidecar from before they were named
            throw new CheckpointException(stateFile, e.getMessage());
        }
        setStepCount(step); // the optimizer now counts the steps it restored
        return true;
    }

    @Override
    public String restartWarning() {
        return "no matching optimizer state next to it: " + name + "'s state (" + state + ") restarts from its initial"
                + " state, so the resumed run will not match an uninterrupted one exactly";
    }

    @Override
    public void remember() {
        List<Node> state = model.stateNodes();
        for (int i = 0; i < state.size(); i++) {
            float[] values = model.store.get(state.get(i));
            if (stateCopies.size() == i) stateCopies.add(new float[values.length]);
            System.arraycopy(values, 0, stateCopies.get(i), 0, values.length);
        }
        remembered = optimizer.snapshot();
        rememberedSteps = stepCount();
    }

    @Override
    public void rollBack() {
        List<Node> state = model.stateNodes();
        for (int i = 0; i < stateCopies.size(); i++) model.store.set(state.get(i), stateCopies.get(i));
        optimizer.restore(remembered);
        setStepCount(rememberedSteps);
    }

    @Override
    public void detectAnomaly() {
        for (Program p : optimizer.programs()) p.detectAnomaly(true);
    }

    @Override
    public String phaseOf(Node node) {
        return name + "'s programs";
    }
}
