package org.panagrad.curvature;

import org.junit.jupiter.api.Test;
import org.panagrad.optim.secondorder.OptimizerSnapshot;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KfacOptimizerTest {

    @Test
    void dampedInversesAreTheInversesOfTheDampedFactors() {
        SmallClassifier m = new SmallClassifier(31, 7, 5, 4, 3);
        LayerBackprop b = m.backprop(LayerBackprop.Vectors.SAMPLED, "KFAC", true, false);
        b.run(new SplittableRandom(1));
        KroneckerFactors f = new KroneckerFactors(b, "KFAC");
        f.add(b, 1);
        f.curvature();
        float[][] ia = {new float[36], new float[25]}, ig = {new float[16], new float[9]};
        double gamma = 0.01;
        f.dampedInverses(gamma, ia, ig);
        for (int l = 0; l < 2; l++) {
            int p = f.inputSize(l), q = f.outputSize(l);
            double[] a = f.inputFactor(l), g = f.gradientFactor(l);
            double ta = 0, tg = 0;
            for (int i = 0; i < p; i++) ta += a[i * p + i];
            for (int i = 0; i < q; i++) tg += g[i * q + i];
            double pi = Math.sqrt((ta / p) / (tg / q));
            checkInverse(a, ia[l], p, pi * Math.sqrt(gamma));
            checkInverse(g, ig[l], q, Math.sqrt(gamma) / pi);
        }
    }

    private static void checkInverse(double[] m, float[] inverse, int n, double shift) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += (m[i * n + k] + (i == k ? shift : 0)) * inverse[k * n + j];
                assertEquals(i == j ? 1 : 0, s, 2e-3, "(" + i + ", " + j + ")");
            }
        }
    }

    @Test
    void stepsLowerTheLossAndResumeFromASnapshot() {
        SmallClassifier m = new SmallClassifier(32, 32, 6, 8, 3);
        KfacOptimizer.Options options = KfacOptimizer.Options.defaults().withLr(0.05).withIntervals(2, 4);
        KfacOptimizer opt = KfacOptimizer.create(m.store, m.loss, m.logits, m.layers, options);
        float first = 0, last = 0;
        for (int s = 0; s < 60; s++) {
            opt.programs().forEach(p -> {
                p.set(m.x, m.images);
                p.setLabels(m.labels, m.classes);
            });
            float loss = opt.step();
            if (s == 0) first = loss;
            last = loss;
        }
        assertTrue(last < 0.5 * first, first + " -> " + last);
        OptimizerSnapshot state = opt.snapshot();
        KfacOptimizer other = KfacOptimizer.create(m.store, m.loss, m.logits, m.layers, options);
        other.restore(state);
        assertEquals(opt.stepCount(), other.stepCount());
        assertArrayEquals(state.tensors().get(0).data(), other.snapshot().tensors().get(0).data());
        assertThrows(IllegalArgumentException.class, () -> other.restore(new OptimizerSnapshot("lbfgs", state.tensors(), state.scalars())));
        assertThrows(IllegalArgumentException.class, () -> KfacOptimizer.Options.defaults().withDamping(0));
    }
}
