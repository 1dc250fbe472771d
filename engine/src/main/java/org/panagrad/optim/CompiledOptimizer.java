package org.panagrad.optim;

import org.panagrad.graph.Node;

import java.util.List;

/** What the compiled first-order optimizers share: their state variables and the step count. */
abstract class CompiledOptimizer implements Optimizer {
    final OptimizerState state = new OptimizerState();

    @Override
    public long stepCount() {
        return state.steps();
    }

    @Override
    public void setStepCount(long steps) {
        state.setSteps(steps);
    }

    @Override
    public List<Node> stateVariables() {
        return state.variables();
    }
}
