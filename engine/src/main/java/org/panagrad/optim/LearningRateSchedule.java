package org.panagrad.optim;

/** The learning rate as a function of the step number (0-based), as torch.optim.lr_scheduler's. */
@FunctionalInterface
public interface LearningRateSchedule {
    double at(long step);

    static LearningRateSchedule constant(double lr) {
        return step -> lr;
    }

    /** lr * gamma^(step / stepSize), as StepLR. */
    static LearningRateSchedule stepDecay(double lr, long stepSize, double gamma) {
        if (stepSize <= 0) throw new IllegalArgumentException("step size must be positive, got " + stepSize);
        return step -> lr * Math.pow(gamma, step / stepSize);
    }

    /** lr * gamma^(milestones passed), as MultiStepLR; milestones are step numbers, increasing. */
    static LearningRateSchedule multiStep(double lr, long[] milestones, double gamma) {
        long[] at = milestones.clone();
        for (int i = 0; i < at.length; i++) {
            if (at[i] <= 0 || (i > 0 && at[i] <= at[i - 1])) {
                throw new IllegalArgumentException("milestones must be positive and increasing, got "
                        + java.util.Arrays.toString(at));
            }
        }
        return step -> {
            int passed = 0;
            while (passed < at.length && step >= at[passed]) passed++;
            return lr * Math.pow(gamma, passed);
        };
    }

    /** From lr down to minLr over totalSteps along half a cosine, as CosineAnnealingLR; minLr after. */
    static LearningRateSchedule cosine(double lr, double minLr, long totalSteps) {
        if (totalSteps <= 0) throw new IllegalArgumentException("total steps must be positive, got " + totalSteps);
        return step -> step >= totalSteps ? minLr
                : minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * step / totalSteps));
    }

    /** Linear warm-up from lr/warmupSteps to this schedule's value over the first warmupSteps steps. */
    default LearningRateSchedule withWarmup(long warmupSteps) {
        LearningRateSchedule base = this;
        return step -> step < warmupSteps ? base.at(step) * (step + 1) / warmupSteps : base.at(step);
    }
}
