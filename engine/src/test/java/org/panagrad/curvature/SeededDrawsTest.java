package org.panagrad.curvature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The K-FAC optimizer draws its labels from a seed without making a SplittableRandom per factor update: the draws
 * must be SplittableRandom's own, so runs (and resumed runs) sample what they did before.
 */
class SeededDrawsTest {
    @Test
    void theSeededDrawsAreSplittableRandomsFromThatSeed() {
        for (long seed : new long[] {0, 1, -7, Long.MAX_VALUE, 0x9E3779B97F4A7C15L * 3 + 41}) {
            SplittableRandom rnd = new SplittableRandom(seed);
            long state = seed;
            for (int i = 0; i < 500; i++) {
                state += 0x9e3779b97f4a7c15L;
                assertEquals(rnd.nextDouble(), LayerBackprop.splitMix(state), 0.0, "seed " + seed + ", draw " + i);
            }
        }
    }

    @Test
    void aSeededRunFormsTheFactorsOfTheSameSeedsGenerator() {
        SmallClassifier m = new SmallClassifier(3, 16, 12, 7, 5);
        LayerBackprop b = LayerBackprop.compile(m.store, m.logits, m.layers, LayerBackprop.Vectors.SAMPLED, "K-FAC", true, false);
        b.program().set(m.x, m.images);
        float[][] byGenerator = factors(b, () -> b.run(new SplittableRandom(99)));
        float[][] bySeed = factors(b, () -> b.run(99L));
        float[][] otherSeed = factors(b, () -> b.run(100L));
        for (int i = 0; i < byGenerator.length; i++) assertArrayEquals(byGenerator[i], bySeed[i], "factor " + i);
        assertFalse(Arrays.equals(byGenerator[1], otherSeed[1]), "another seed draws other labels");
    }

    private static float[][] factors(LayerBackprop b, Runnable run) {
        run.run();
        int n = b.layers().size();
        float[][] out = new float[2 * n][];
        for (int l = 0; l < n; l++) {
            int p = b.inputSize(l), q = b.outputSize(l);
            out[2 * l] = new float[p * p];
            out[2 * l + 1] = new float[q * q];
            b.readFactors(l, out[2 * l], out[2 * l + 1]);
        }
        return out;
    }
}
