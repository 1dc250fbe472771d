package org.panagrad.nn;

import java.util.SplittableRandom;

/**
 * Weight initializers, seeded. Fan-in and fan-out are those of a weight of shape [out, in]. Biases start at
 * zero except under {@link #TORCH_DEFAULT}, which reproduces nn.Linear's reset_parameters: weights and biases
 * uniform in +-1/sqrt(fan_in).
 */
public enum Init {
    HE_UNIFORM, HE_NORMAL, XAVIER_UNIFORM, XAVIER_NORMAL, TORCH_DEFAULT;

    public void weights(float[] w, int fanIn, int fanOut, SplittableRandom rnd) {
        double scale = switch (this) {
            case HE_UNIFORM -> Math.sqrt(6.0 / fanIn);
            case HE_NORMAL -> Math.sqrt(2.0 / fanIn);
            case XAVIER_UNIFORM -> Math.sqrt(6.0 / (fanIn + fanOut));
            case XAVIER_NORMAL -> Math.sqrt(2.0 / (fanIn + fanOut));
            case TORCH_DEFAULT -> 1 / Math.sqrt(fanIn);
        };
        if (this == HE_NORMAL || this == XAVIER_NORMAL) normal(w, scale, rnd);
        else uniform(w, scale, rnd);
    }

    public void bias(float[] b, int fanIn, SplittableRandom rnd) {
        if (this == TORCH_DEFAULT) uniform(b, 1 / Math.sqrt(fanIn), rnd);
        else java.util.Arrays.fill(b, 0f);
    }

    static void uniform(float[] w, double bound, SplittableRandom rnd) {
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextDouble(-bound, bound);
    }

    // Box-Muller, so that a seed gives the same weights on every JDK.
    static void normal(float[] w, double std, SplittableRandom rnd) {
        for (int i = 0; i < w.length; i += 2) {
            double u1 = 1 - rnd.nextDouble(), u2 = rnd.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u1)), t = 2 * Math.PI * u2;
            w[i] = (float) (std * r * Math.cos(t));
            if (i + 1 < w.length) w[i + 1] = (float) (std * r * Math.sin(t));
        }
    }
}
