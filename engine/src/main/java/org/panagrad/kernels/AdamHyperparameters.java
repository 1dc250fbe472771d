package org.panagrad.kernels;

/**
 * What {@link Updates#adam} needs besides the arrays, built once when the update is compiled: the constants,
 * and the array the optimizer rewrites before every step with that step's values, {@code schedule =
 * [learning rate, 1 - beta1^t, 1 - beta2^t]} (PyTorch's bias corrections at step t), so the compiled
 * instruction never changes.
 *
 * @param decoupled AdamW: weight decay applied to the weights directly, not added to the gradient
 */
public record AdamHyperparameters(float beta1, float beta2, float eps, float weightDecay, boolean decoupled,
                                  float[] schedule) {
    public AdamHyperparameters {
        if (schedule.length < 3) {
            throw new IllegalArgumentException("the schedule holds [lr, 1 - beta1^t, 1 - beta2^t], got "
                    + schedule.length + " values");
        }
    }

    float lr() {
        return schedule[0];
    }

    float biasCorrection1() {
        return schedule[1];
    }

    float biasCorrection2() {
        return schedule[2];
    }
}
