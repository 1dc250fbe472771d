package org.panagrad.kernels;

import static org.panagrad.kernels.KernelTestSupport.assertClose;
import static org.panagrad.kernels.KernelTestSupport.random;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class UpdatesTest {
    static java.util.stream.IntStream sizes() {
        return KernelTestSupport.sizes();
    }

    private static final int OFF = 2;

    @ParameterizedTest
    @MethodSource("sizes")
    void sgdAndMomentumMatchScalar(int n) {
        Random rnd = new Random(n);
        float[] p0 = random(rnd, OFF + n, -1f, 1f), g = random(rnd, OFF + n, -1f, 1f);
        float[] v0 = random(rnd, OFF + n, -0.1f, 0.1f);
        float[] pw = p0.clone(), pg = p0.clone();
        UpdatesScalar.sgd(n, 0.1f, 0.01f, pw, OFF, g, OFF);
        UpdatesSimd.sgd(n, 0.1f, 0.01f, pg, OFF, g, OFF);
        assertClose(pw, pg, 1e-6f, 1e-7f, "sgd");
        for (boolean nesterov : new boolean[] {false, true}) {
            pw = p0.clone(); pg = p0.clone();
            float[] vw = v0.clone(), vg = v0.clone();
            for (int step = 0; step < 3; step++) {
                UpdatesScalar.momentum(n, 0.1f, 0.9f, nesterov, 0.01f, pw, OFF, g, OFF, vw, OFF);
                UpdatesSimd.momentum(n, 0.1f, 0.9f, nesterov, 0.01f, pg, OFF, g, OFF, vg, OFF);
            }
            assertClose(vw, vg, 1e-5f, 1e-6f, "momentum velocity, nesterov=" + nesterov);
            assertClose(pw, pg, 1e-5f, 1e-6f, "momentum params, nesterov=" + nesterov);
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void adamAndAdamWMatchScalar(int n) {
        Random rnd = new Random(n);
        float[] p0 = random(rnd, OFF + n, -1f, 1f), g = random(rnd, OFF + n, -1f, 1f);
        for (boolean decoupled : new boolean[] {false, true}) {
            float[] pw = p0.clone(), pg = p0.clone();
            float[] mw = new float[OFF + n], mg = new float[OFF + n], vw = new float[OFF + n], vg = new float[OFF + n];
            for (int t = 1; t <= 3; t++) {
                float bc1 = 1f - (float) Math.pow(0.9, t), bc2 = 1f - (float) Math.pow(0.999, t);
                UpdatesScalar.adam(n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, bc1, bc2, pw, OFF, g, OFF, mw, OFF, vw, OFF);
                UpdatesSimd.adam(n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, bc1, bc2, pg, OFF, g, OFF, mg, OFF, vg, OFF);
            }
            assertClose(mw, mg, 1e-5f, 1e-7f, "adam m, decoupled=" + decoupled);
            assertClose(vw, vg, 1e-5f, 1e-8f, "adam v, decoupled=" + decoupled);
            assertClose(pw, pg, 1e-5f, 1e-6f, "adam p, decoupled=" + decoupled);
        }
    }
}
