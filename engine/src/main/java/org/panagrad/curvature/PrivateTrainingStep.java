package org.panagrad.curvature;

import org.panagrad.graph.Node;
import org.panagrad.nn.LayerCall;
import org.panagrad.optim.Optimizer;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.List;

/**
 * A DP-SGD training step: any first-order optimizer updating with {@link PrivateGradients} instead of the
 * loss's gradient, compiled into one program as {@link TrainingStep} is. Each {@link #run} draws fresh noise;
 * nothing is allocated. The privacy spent is accounted for separately ({@link RdpAccountant}), from the
 * sampling rate, the noise multiplier and the number of steps.
 */
public final class PrivateTrainingStep {
    private final TrainingStep step;
    private final PrivateGradients gradients;

    private PrivateTrainingStep(TrainingStep step, PrivateGradients gradients) {
        this.step = step;
        this.gradients = gradients;
    }

    public static PrivateTrainingStep compile(ParameterStore store, Node loss, List<LayerCall> calls, List<Node> params,
                                              Optimizer optimizer, double clip, double noiseMultiplier, long seed) {
        PrivateGradients g = PrivateGradients.build(loss, calls, params, clip, noiseMultiplier, seed);
        return new PrivateTrainingStep(TrainingStep.compile(store, loss, params, g.gradients(), optimizer, false, List.of()), g);
    }

    /** One step on the data fed to {@link #program()}; returns the loss before the update. */
    public float run() {
        gradients.drawNoise(step.program());
        return step.run();
    }

    public Program program() {
        return step.program();
    }

    public TrainingStep step() {
        return step;
    }

    public PrivateGradients gradients() {
        return gradients;
    }
}
