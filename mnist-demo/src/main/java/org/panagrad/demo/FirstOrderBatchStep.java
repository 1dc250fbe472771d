package org.panagrad.demo;

import org.panagrad.graph.Node;
import org.panagrad.optim.Optimizer;
import org.panagrad.optim.TrainingStep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the steps of a first-order optimizer compiled into the training program share: the step count and the
 * state saved beside a checkpoint are the optimizer's, which lives in the parameter store; a step's status is its
 * compiled program's; a roll-back restores every variable a step writes.
 */
abstract class FirstOrderBatchStep implements BatchStep {
    final Model model;
    final String name;
    final Optimizer optimizer;
    /** Every variable a step writes (parameters, running statistics, moments) and the copies {@link #remember} keeps. */
    private final List<Node> variables = new ArrayList<>();
    private final List<float[]> copies = new ArrayList<>();
    private long rememberedSteps;

    /** @param name the optimizer's command-line name, which tags its saved state */
    FirstOrderBatchStep(Model model, String name, Optimizer optimizer) {
        this.model = model;
        this.name = name;
        this.optimizer = optimizer;
    }

    /** The compiled step that ran last (the full batch's before any has run). */
    abstract TrainingStep lastRun();

    /** The loss node of the step that ran last, for naming the phase of a node. */
    abstract Node lastLoss();

    /** Every compiled step. */
    abstract List<TrainingStep> steps();

    @Override
    public TrainingStep.Status status() {
        return lastRun().status();
    }

    @Override
    public String nonFiniteDetail() {
        Node p = lastRun().nonFiniteParameter();
        return p == null ? "a gradient is not finite" : "the gradient of " + p.name() + " has norm " + lastRun().normReadBy(p);
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
    public void saveState(Path stateFile) throws IOException {
        Checkpoint.saveOptimizer(stateFile, model, name, optimizer);
    }

    @Override
    public boolean restoreState(Path stateFile, long step) throws IOException {
        return Checkpoint.loadOptimizer(stateFile, step, model, name, optimizer);
    }

    @Override
    public String restartWarning() {
        return "no matching optimizer state next to it: momentum and moments start from zero";
    }

    @Override
    public void remember() {
        // Read once the steps are compiled: compiling creates the optimizer's state (momentum, moments).
        if (variables.isEmpty()) {
            variables.addAll(model.stateNodes());
            variables.addAll(optimizer.stateVariables());
        }
        for (int i = 0; i < variables.size(); i++) {
            float[] values = model.store.get(variables.get(i));
            if (copies.size() == i) copies.add(new float[values.length]);
            System.arraycopy(values, 0, copies.get(i), 0, values.length);
        }
        rememberedSteps = optimizer.stepCount();
    }

    @Override
    public void rollBack() {
        for (int i = 0; i < copies.size(); i++) model.store.set(variables.get(i), copies.get(i));
        optimizer.setStepCount(rememberedSteps);
    }

    @Override
    public void detectAnomaly() {
        for (TrainingStep s : steps()) s.program().detectAnomaly(true);
    }

    @Override
    public String phaseOf(Node node) {
        return new CompiledNodes(lastRun().program(), lastLoss()).phase(node).label + " pass";
    }
}
