package org.panagrad.optim;

import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;

import java.util.ArrayList;
import java.util.List;

/** torch.optim.SGD: plain, with momentum, or Nesterov momentum; L2 weight decay added to the gradient. */
public final class Sgd extends CompiledOptimizer {
    private final LearningRateSchedule lr;
    private final SgdUpdate update;

    private Sgd(LearningRateSchedule lr, double momentum, boolean nesterov, double weightDecay) {
        if (momentum < 0) throw new IllegalArgumentException("momentum must be >= 0, got " + momentum);
        if (nesterov && momentum == 0) throw new IllegalArgumentException("Nesterov momentum needs a momentum > 0");
        this.lr = lr;
        this.update = new SgdUpdate(momentum, nesterov, weightDecay);
    }

    public static Sgd plain(LearningRateSchedule lr) {
        return new Sgd(lr, 0, false, 0);
    }

    public static Sgd momentum(LearningRateSchedule lr, double momentum, boolean nesterov) {
        return new Sgd(lr, momentum, nesterov, 0);
    }

    public static Sgd of(LearningRateSchedule lr, double momentum, boolean nesterov, double weightDecay) {
        return new Sgd(lr, momentum, nesterov, weightDecay);
    }

    @Override
    public List<Node> updates(List<Node> params, List<Node> grads) {
        Node hyper = state.hyper(params.get(0).graph(), "sgd.hyper", 1);
        List<Node> ops = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Node p = params.get(i);
            Node velocity = update.momentum() != 0 ? state.slot(p, "momentum_buffer") : null;
            ops.add(update.apply(p, grads.get(i), hyper, velocity));
        }
        return ops;
    }

    @Override
    public void beforeStep(ParameterStore store) {
        long step = state.nextStep();
        store.get(state.hyper())[0] = (float) lr.at(step);
    }
}
