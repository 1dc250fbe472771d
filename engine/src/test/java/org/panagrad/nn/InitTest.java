package org.panagrad.nn;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.panagrad.graph.Graph;
import org.panagrad.runtime.ParameterStore;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Initializers have the variance their papers prescribe, and a seed fixes them. */
class InitTest {
    @ParameterizedTest
    @EnumSource(Init.class)
    void varianceMatchesTheFormulaAndSeedsRepeat(Init init) {
        int fanIn = 400, fanOut = 300;
        float[] w = new float[fanIn * fanOut];
        init.weights(w, fanIn, fanOut, new SplittableRandom(3));
        double mean = 0, var = 0;
        for (float v : w) mean += v;
        mean /= w.length;
        for (float v : w) var += (v - mean) * (v - mean);
        var /= w.length;
        double expected;
        switch (init) {
            case HE_UNIFORM: case HE_NORMAL: expected = 2.0 / fanIn; break;
            case XAVIER_UNIFORM: case XAVIER_NORMAL: expected = 2.0 / (fanIn + fanOut); break;
            default: expected = 1.0 / (3.0 * fanIn); // uniform in +-1/sqrt(fan_in)
        }
        assertEquals(0, mean, 0.01 * Math.sqrt(expected));
        assertEquals(expected, var, 0.02 * expected, init.name());
        float[] again = new float[w.length];
        init.weights(again, fanIn, fanOut, new SplittableRandom(3));
        assertArrayEquals(w, again);
    }

    @ParameterizedTest
    @EnumSource(Init.class)
    void anMlpIsInitializedReproduciblyFromASeed(Init init) {
        Graph g = new Graph();
        Mlp mlp = Mlp.create(g, Activation.TANH, 20, 30, 5);
        ParameterStore a = new ParameterStore(), b = new ParameterStore();
        mlp.initialize(a, init, 7);
        mlp.initialize(b, init, 7);
        for (var p : mlp.parameters()) assertArrayEquals(a.get(p), b.get(p), p.name());
        assertEquals(20 * 30 + 30 + 30 * 5 + 5, mlp.parameterCount());
        assertEquals("2.weight", mlp.parameters().get(2).name());
    }
}
