package org.panagrad.optim;

import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;

import java.util.ArrayList;
import java.util.List;

/** torch.optim.Adam and AdamW, with bias correction; defaults beta1 0.9, beta2 0.999, eps 1e-8. */
public final class Adam extends CompiledOptimizer {
    private final LearningRateSchedule lr;
    private final AdamUpdate update;

    private Adam(LearningRateSchedule lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) {
            throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        this.lr = lr;
        this.update = new AdamUpdate(beta1, beta2, eps, weightDecay, decoupled);
    }

    public static Adam adam(LearningRateSchedule lr) {
        return new Adam(lr, 0.9, 0.999, 1e-8, 0, false);
    }

    public static Adam adam(LearningRateSchedule lr, double beta1, double beta2, double eps, double weightDecay) {
        return new Adam(lr, beta1, beta2, eps, weightDecay, false);
    }

    /** AdamW: weight decay applied to the weights directly, not through the moments (PyTorch default 0.01). */
    public static Adam adamW(LearningRateSchedule lr, double weightDecay) {
        return new Adam(lr, 0.9, 0.999, 1e-8, weightDecay, true);
    }

    @Override
    public List<Node> updates(List<Node> params, List<Node> grads) {
        Node hyper = state.hyper(params.get(0).graph(), "adam.hyper", 3);
        List<Node> ops = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Node p = params.get(i);
            ops.add(update.apply(p, grads.get(i), hyper, state.slot(p, "exp_avg"), state.slot(p, "exp_avg_sq")));
        }
        return ops;
    }

    @Override
    public void beforeStep(ParameterStore store) {
        long step = state.nextStep();
        float[] h = store.get(state.hyper());
        h[0] = (float) lr.at(step);
        h[1] = (float) (1 - Math.pow(update.beta1(), step + 1));
        h[2] = (float) (1 - Math.pow(update.beta2(), step + 1));
    }
}
