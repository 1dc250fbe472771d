package org.panagrad.curvature;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.compiler.Compiler;
import org.panagrad.nn.Linear;
import org.panagrad.runtime.Program;
import org.panagrad.testing.SteadyState;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Laplace approximation against closed forms computed from the explicit Gauss-Newton matrix. */
class LaplaceTest {

    private static Laplace fit(SmallClassifier m, Laplace.Subset subset, Laplace.Structure structure) {
        Laplace.Batches one = new Laplace.Batches() {
            @Override
            public int count() {
                return 1;
            }

            @Override
            public void feed(int b, Program program) {
                program.set(m.x, m.images);
            }
        };
        return Laplace.fit(m.store, m.logits, m.layers, subset, structure, one, m.batch, -m.batch * meanLoss(m));
    }

    /** Fitted on {@code fitted} copies of m's batch as a sample of a training set of {@code copies} copies of it. */
    private static Laplace fitSample(SmallClassifier m, Laplace.Subset subset, Laplace.Structure structure, int fitted, int copies) {
        Laplace.Batches sample = new Laplace.Batches() {
            @Override
            public int count() {
                return fitted;
            }

            @Override
            public void feed(int b, Program program) {
                program.set(m.x, m.images);
            }
        };
        return Laplace.fit(m.store, m.logits, m.layers, subset, structure, sample, copies * m.batch, -copies * m.batch * meanLoss(m));
    }

    /**
     * The posterior is over the training set the model was fitted on; a sample of it estimates its Gauss-Newton
     * sum. Here the training set is 4 copies of one batch: one batch of it, two, or all four give the same
     * Hessian, four times that of a one-batch training set (fitting on n of N images as if N were n made the
     * demo's all-layer posteriors N/n times too broad).
     */
    @Test
    void aSampleOfTheTrainingSetEstimatesTheWholeSetsCurvature() {
        SmallClassifier m = new SmallClassifier(25, 6, 5, 4, 3);
        for (Laplace.Structure s : Laplace.Structure.values()) {
            Laplace.Subset subset = s == Laplace.Structure.FULL ? Laplace.Subset.LAST_LAYER : Laplace.Subset.ALL;
            double[][] single = SmallClassifier.explicit(fitSample(m, subset, s, 1, 1).hessian());
            for (int fitted : new int[] {1, 2, 4}) {
                Laplace laplace = fitSample(m, subset, s, fitted, 4);
                double[][] h = SmallClassifier.explicit(laplace.hessian());
                double scale = 0;
                for (double[] row : single) for (double v : row) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < h.length; i++) {
                    for (int j = 0; j < h.length; j++) {
                        assertEquals(4 * single[i][j], h[i][j], 1e-4 * 4 * scale, s + " on " + fitted + " of 4 batches, entry " + i + ", " + j);
                    }
                }
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fitSample(m, subset, s, 5, 4));
            assertTrue(e.getMessage().contains("not a sample of the 24 training examples"), e.getMessage());
        }
    }

    private static double meanLoss(SmallClassifier m) {
        Program p = Compiler.compile(m.store, List.of(m.loss));
        p.set(m.x, m.images);
        p.setLabels(m.labels, m.classes);
        p.run();
        return p.scalar(m.loss);
    }

    @Test
    void fullLastLayerLogMarginalLikelihoodIsTheClosedForm() {
        SmallClassifier m = new SmallClassifier(21, 9, 5, 4, 3);
        Laplace laplace = fit(m, Laplace.Subset.LAST_LAYER, Laplace.Structure.FULL);
        Linear last = (Linear) m.layers.get(1).layer();
        CurvatureProduct ggn = CurvatureProduct.compile(m.store, m.loss, List.of(last.weight(), last.bias()),
                CurvatureProduct.Kind.GAUSS_NEWTON);
        ggn.program().set(m.x, m.images);
        ggn.program().setLabels(m.labels, m.classes);
        double[][] h = SmallClassifier.explicit(ggn);
        int p = h.length;
        assertEquals(p, laplace.dimension());
        float[] theta = new float[p];
        System.arraycopy(m.store.get(last.weight()), 0, theta, 0, 12);
        System.arraycopy(m.store.get(last.bias()), 0, theta, 12, 3);
        double logLikelihood = -m.batch * meanLoss(m), norm = 0;
        for (float t : theta) norm += (double) t * t;
        for (double delta : new double[] {0.01, 0.7, 30}) {
            double[][] posterior = new double[p][p];
            for (int i = 0; i < p; i++) {
                for (int j = 0; j < p; j++) posterior[i][j] = m.batch * h[i][j] + (i == j ? delta : 0);
            }
            RealMatrix matrix = new Array2DRowRealMatrix(posterior);
            double expected = logLikelihood - 0.5 * delta * norm + 0.5 * p * Math.log(delta)
                    - 0.5 * Math.log(new LUDecomposition(matrix).getDeterminant());
            assertEquals(expected, laplace.logMarginalLikelihood(delta), 1e-4 * Math.abs(expected), "delta " + delta);
        }
        double tuned = laplace.tunePriorPrecision();
        double at = laplace.logMarginalLikelihood(tuned);
        assertTrue(at >= laplace.logMarginalLikelihood(tuned * 1.05) && at >= laplace.logMarginalLikelihood(tuned / 1.05),
                "not a maximum at " + tuned);
    }

    @Test
    void fullProbitUsesTheExplicitPosteriorCovariance() {
        SmallClassifier m = new SmallClassifier(22, 6, 5, 4, 3);
        Laplace laplace = fit(m, Laplace.Subset.LAST_LAYER, Laplace.Structure.FULL);
        laplace.setPriorPrecision(0.5);
        LayerBackprop jacobian = laplace.jacobianProgram(m.store, m.logits, m.layers);
        jacobian.program().set(m.x, m.images);
        Program forward = Compiler.compile(m.store, List.of(m.logits));
        forward.set(m.x, m.images);
        forward.run();
        float[] logits = forward.get(m.logits), probit = new float[logits.length];
        laplace.probit(jacobian, logits, probit);
        // The reference: var f_c = (a ⊗ e_c)^T (N H + delta I)^-1 (a ⊗ e_c), with parameter (i, c) at i * 3 + c.
        DenseCurvature h = (DenseCurvature) laplace.hessian();
        int p = h.dimension();
        double[][] posterior = new double[p][p];
        for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) posterior[i][j] = h.get(i, j) + (i == j ? 0.5 : 0);
        RealMatrix sigma = new LUDecomposition(new Array2DRowRealMatrix(posterior)).getSolver().getInverse();
        Program hidden = Compiler.compile(m.store, List.of(m.layers.get(1).input()));
        hidden.set(m.x, m.images);
        hidden.run();
        float[] a = hidden.get(m.layers.get(1).input());
        float[] covariance = new float[m.batch * 9];
        laplace.logitCovariance(jacobian, covariance);
        for (int n = 0; n < m.batch; n++) {
            // The whole logit covariance (the GLM Monte Carlo's): cov(f_c, f_c2) = (a ⊗ e_c)^T Sigma (a ⊗ e_c2).
            double[][] explicit = new double[3][3];
            for (int c = 0; c < 3; c++) {
                for (int c2 = 0; c2 < 3; c2++) {
                    double cov = 0;
                    for (int i = 0; i < 5; i++) {
                        for (int j = 0; j < 5; j++) {
                            double ai = i < 4 ? a[n * 4 + i] : 1, aj = j < 4 ? a[n * 4 + j] : 1;
                            cov += ai * aj * sigma.getEntry(i * 3 + c, j * 3 + c2);
                        }
                    }
                    assertEquals(cov, covariance[(n * 3 + c) * 3 + c2], 1e-5 * (1 + Math.abs(cov)), "example " + n + " cov(" + c + ", " + c2 + ")");
                    explicit[c][c2] = cov;
                }
            }
            double[] kappaF = new double[3];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < 3; c++) {
                kappaF[c] = logits[n * 3 + c] / Math.sqrt(1 + Math.PI / 8 * explicit[c][c]); // var f_c
                max = Math.max(max, kappaF[c]);
            }
            double sum = 0;
            for (double v : kappaF) sum += Math.exp(v - max);
            for (int c = 0; c < 3; c++) assertEquals(Math.exp(kappaF[c] - max) / sum, probit[n * 3 + c], 1e-5, "example " + n);
        }
    }

    /**
     * One Jacobian run and covariance serve both linearised predictives: the variances are the covariances'
     * diagonals, and the probit and GLM Monte Carlo from one covariance equal those that run the Jacobian program
     * themselves, bit for bit (kron over all layers, full over the last).
     */
    @Test
    void bothPredictivesFromOneCovariance() {
        forBothPosteriors(24, p -> {
            Laplace laplace = p.laplace;
            Laplace.Structure structure = laplace.structure();
            SmallClassifier m = p.m;
            float[] covariance = new float[m.batch * 9], variance = new float[m.batch * 3];
            laplace.logitCovariance(p.jacobian, covariance);
            laplace.logitVariance(p.jacobian, variance);
            for (int n = 0; n < m.batch; n++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(covariance[(n * 3 + c) * 3 + c], variance[n * 3 + c], 0f, structure + " example " + n + " class " + c);
                    assertTrue(variance[n * 3 + c] > 0, structure + ": a variance is positive");
                }
            }
            float[] fromCovariance = new float[m.batch * 3], byItself = new float[m.batch * 3];
            Laplace.probitFromCovariance(m.batch, 3, p.logits, covariance, fromCovariance);
            laplace.probit(p.jacobian, p.logits, byItself);
            assertArrayEquals(byItself, fromCovariance, structure + " probit");
            Laplace.probit(m.batch, 3, p.logits, variance, fromCovariance);
            assertArrayEquals(byItself, fromCovariance, structure + " probit from the variances");
            laplace.glmMonteCarlo(m.batch, 3, covariance, p.logits, 50, new SplittableRandom(5), fromCovariance);
            laplace.glmMonteCarlo(p.jacobian, p.logits, 50, new SplittableRandom(5), byItself);
            assertArrayEquals(byItself, fromCovariance, structure + " GLM Monte Carlo");
            assertThrows(IllegalArgumentException.class, () -> laplace.logitCovariance(p.jacobian, new float[m.batch * 9 - 1]));
        });
    }

    /**
     * The last layer's Gauss-Newton matrix has no curvature along the shift of every class's weights and bias by the
     * same (u, beta): the variance of the logits' sum is the prior's alone, K |[a; 1]|^2 / delta, for every example.
     * That shared variance is what the zero-sum probit takes out; on the projected covariance it is the plain
     * probit, and adding any shared variance or shift to the logits leaves it unchanged (softmax(f) = softmax(P f)).
     */
    @Test
    void zeroSumProbitDropsTheVarianceTheSoftmaxIgnores() {
        Predictives p = new Predictives(new SmallClassifier(26, 8, 5, 4, 3), Laplace.Subset.LAST_LAYER);
        int batch = p.m.batch, k = 3, in = p.jacobian.inputSize(0);
        float[] covariance = new float[batch * 9], inputs = new float[batch * in];
        p.laplace.logitCovariance(p.jacobian, covariance);
        p.jacobian.readInputs(0, inputs);
        double delta = p.laplace.priorPrecision();
        for (int n = 0; n < batch; n++) {
            double all = 0, norm = 0;
            for (int i = 0; i < 9; i++) all += covariance[n * 9 + i];
            for (int i = 0; i < in; i++) norm += (double) inputs[n * in + i] * inputs[n * in + i];
            assertEquals(k * norm / delta, all, 1e-4 * all, "example " + n + ": the variance of the logits' sum");
        }
        float[] zeroSum = new float[batch * 3];
        Laplace.probitZeroSumFromCovariance(batch, 3, p.logits, covariance, zeroSum);
        // The explicit projection: P Sigma P and P f, then the plain probit of them.
        float[] projected = new float[batch * 9], centred = new float[batch * 3], plain = new float[batch * 3];
        for (int n = 0; n < batch; n++) {
            double mean = (p.logits[n * 3] + p.logits[n * 3 + 1] + p.logits[n * 3 + 2]) / 3.0;
            for (int c = 0; c < 3; c++) {
                centred[n * 3 + c] = (float) (p.logits[n * 3 + c] - mean);
                for (int c2 = 0; c2 < 3; c2++) {
                    double v = 0;
                    for (int i = 0; i < 3; i++) {
                        for (int j = 0; j < 3; j++) v += ((i == c ? 1 : 0) - 1.0 / 3) * covariance[n * 9 + i * 3 + j] * ((j == c2 ? 1 : 0) - 1.0 / 3);
                    }
                    projected[n * 9 + c * 3 + c2] = (float) v;
                }
            }
        }
        Laplace.probitFromCovariance(batch, 3, centred, projected, plain);
        for (int i = 0; i < plain.length; i++) assertEquals(plain[i], zeroSum[i], 1e-5, "entry " + i);
        float[] shifted = covariance.clone(), moved = p.logits.clone(), again = new float[batch * 3];
        for (int i = 0; i < shifted.length; i++) shifted[i] += 7.5f;
        for (int i = 0; i < moved.length; i++) moved[i] += 3f;
        Laplace.probitZeroSumFromCovariance(batch, 3, moved, shifted, again);
        for (int i = 0; i < again.length; i++) assertEquals(zeroSum[i], again[i], 1e-5, "entry " + i + " after a shared shift");
    }

    /**
     * The logit covariances, variances, the probit and the GLM Monte Carlo (an eigen-decomposition of each
     * example's C x C covariance) over a test batch allocate nothing once warm (kron over all layers, full over the
     * last).
     */
    @Test
    void covarianceAndProbitAllocateNothingInSteadyState() {
        forBothPosteriors(25, p -> {
            int batch = p.m.batch;
            float[] covariance = new float[batch * 9], out = new float[batch * 3];
            SplittableRandom rnd = new SplittableRandom(6);
            long bytes = SteadyState.allocatedBytes(() -> {
                p.laplace.logitCovariance(p.jacobian, covariance);
                Laplace.probitFromCovariance(batch, 3, p.logits, covariance, out);
                Laplace.probitZeroSumFromCovariance(batch, 3, p.logits, covariance, out);
                p.laplace.probit(p.jacobian, p.logits, out);
                p.laplace.glmMonteCarlo(batch, 3, covariance, p.logits, 20, rnd, out);
            }, 50);
            assertEquals(0, bytes, p.laplace.structure() + ": bytes per 50 calls");
        });
    }

    /** The test on both posteriors of a 5-4-3 classifier at batch 8 (seeded). */
    private static void forBothPosteriors(long seed, java.util.function.Consumer<Predictives> test) {
        SmallClassifier m = new SmallClassifier(seed, 8, 5, 4, 3);
        for (Laplace.Subset subset : Laplace.Subset.values()) test.accept(new Predictives(m, subset));
    }

    /**
     * A posterior of the subset (kron over all layers, full over the last) at prior precision 0.8, its Jacobian
     * program fed with m's batch, and the MAP logits of that batch.
     */
    private static final class Predictives {
        final SmallClassifier m;
        final Laplace laplace;
        final LayerBackprop jacobian;
        final float[] logits;

        Predictives(SmallClassifier m, Laplace.Subset subset) {
            this.m = m;
            laplace = fit(m, subset, subset == Laplace.Subset.ALL ? Laplace.Structure.KRON : Laplace.Structure.FULL);
            laplace.setPriorPrecision(0.8);
            jacobian = laplace.jacobianProgram(m.store, m.logits, m.layers);
            jacobian.program().set(m.x, m.images);
            Program forward = Compiler.compile(m.store, List.of(m.logits));
            forward.set(m.x, m.images);
            forward.run();
            logits = forward.get(m.logits);
        }
    }

    @Test
    void kronAndDiagForAllLayersTuneAndPredict() {
        SmallClassifier m = new SmallClassifier(23, 8, 5, 4, 3);
        for (Laplace.Structure s : new Laplace.Structure[] {Laplace.Structure.KRON, Laplace.Structure.DIAG}) {
            Laplace laplace = fit(m, Laplace.Subset.ALL, s);
            assertEquals(m.size(), laplace.dimension());
            double tuned = laplace.tunePriorPrecision();
            assertTrue(tuned > 1e-6 && tuned < 1e6, s + ": " + tuned);
            LayerBackprop jacobian = laplace.jacobianProgram(m.store, m.logits, m.layers);
            jacobian.program().set(m.x, m.images);
            Program forward = Compiler.compile(m.store, List.of(m.logits));
            forward.set(m.x, m.images);
            forward.run();
            float[] logits = forward.get(m.logits), probit = new float[logits.length];
            laplace.setPriorPrecision(1e9); // a posterior this tight predicts the MAP's softmax
            laplace.probit(jacobian, logits, probit);
            for (int n = 0; n < m.batch; n++) {
                double max = Math.max(logits[n * 3], Math.max(logits[n * 3 + 1], logits[n * 3 + 2])), sum = 0;
                for (int c = 0; c < 3; c++) sum += Math.exp(logits[n * 3 + c] - max);
                for (int c = 0; c < 3; c++) assertEquals(Math.exp(logits[n * 3 + c] - max) / sum, probit[n * 3 + c], 1e-5);
            }
            laplace.setPriorPrecision(1);
            laplace.probit(jacobian, logits, probit); // a wider one flattens the prediction: less confident
            for (int n = 0; n < m.batch; n++) {
                double maxMap = 0, maxProbit = 0;
                for (int c = 0; c < 3; c++) maxProbit = Math.max(maxProbit, probit[n * 3 + c]);
                double max = Math.max(logits[n * 3], Math.max(logits[n * 3 + 1], logits[n * 3 + 2])), sum = 0;
                for (int c = 0; c < 3; c++) sum += Math.exp(logits[n * 3 + c] - max);
                maxMap = 1 / sum;
                assertTrue(maxProbit <= maxMap + 1e-6, s + " example " + n);
            }
            float[] z = new float[laplace.dimension()], draw = new float[laplace.dimension()];
            float before = m.store.get(((Linear) m.layers.get(0).layer()).weight())[0];
            laplace.sample(new SplittableRandom(3), z, draw);
            assertTrue(m.store.get(((Linear) m.layers.get(0).layer()).weight())[0] != before);
            laplace.restoreMap();
            assertEquals(before, m.store.get(((Linear) m.layers.get(0).layer()).weight())[0]);
        }
    }

    @Test
    void layerwisePriorPrecisionsMaximiseTheExplicitMarginalLikelihood() {
        SmallClassifier m = new SmallClassifier(31, 8, 5, 4, 3);
        for (Laplace.Structure s : new Laplace.Structure[] {Laplace.Structure.KRON, Laplace.Structure.DIAG}) {
            Laplace laplace = fit(m, Laplace.Subset.ALL, s);
            double scalar = laplace.tunePriorPrecision();
            double scalarEvidence = laplace.logMarginalLikelihood(scalar);
            double[] deltas = laplace.tunePriorPrecision(Laplace.PriorStructure.LAYERWISE);
            assertEquals(m.layers.size(), deltas.length);
            double evidence = laplace.logMarginalLikelihood(deltas);
            assertTrue(evidence >= scalarEvidence - 1e-9, s + ": layerwise " + evidence + " < scalar " + scalarEvidence);
            // The closed form from the explicit H + D and the parameters, layer by layer.
            int size = laplace.dimension();
            RealMatrix precision = new Array2DRowRealMatrix(size, size);
            float[] e = new float[size], column = new float[size];
            for (int j = 0; j < size; j++) {
                java.util.Arrays.fill(e, 0f);
                e[j] = 1;
                laplace.hessian().apply(e, column);
                for (int i = 0; i < size; i++) precision.setEntry(i, j, column[i]);
            }
            double[] eigenvalues = laplace.hessian().eigenvalues();
            double closed = -m.batch * meanLoss(m);
            int offset = 0;
            for (int l = 0; l < deltas.length; l++) {
                Linear layer = (Linear) m.layers.get(l).layer();
                double norm = 0, effective = 0;
                int count = 0;
                for (float[] t : new float[][] {m.store.get(layer.weight()), m.store.get(layer.bias())}) {
                    for (float x : t) {
                        norm += (double) x * x;
                        double lambda = Math.max(eigenvalues[offset + count], 0);
                        effective += lambda / (lambda + deltas[l]);
                        precision.addToEntry(offset + count, offset + count, deltas[l]);
                        count++;
                    }
                }
                closed += -0.5 * deltas[l] * norm + 0.5 * count * Math.log(deltas[l]);
                // MacKay's fixed point at each layer's optimum: delta_l |theta_l|^2 = the layer's effective parameters.
                assertEquals(effective, deltas[l] * norm, 1e-4 * effective, s + " layer " + l);
                offset += count;
            }
            assertEquals(size, offset);
            RealMatrix l = new org.apache.commons.math3.linear.CholeskyDecomposition(
                    precision.add(precision.transpose()).scalarMultiply(0.5), 1e-6, 1e-12).getL();
            for (int i = 0; i < size; i++) closed -= Math.log(l.getEntry(i, i));
            assertEquals(closed, evidence, 1e-4 * Math.abs(closed), s.toString());
            assertTrue(!java.util.Arrays.equals(deltas, laplace.tunePriorPrecision(Laplace.PriorStructure.SCALAR)));
            assertThrows(IllegalArgumentException.class, () -> laplace.setPriorPrecisions(new double[] {1}));
        }
    }

    @Test
    void fullIsForTheLastLayerOnly() {
        SmallClassifier m = new SmallClassifier(24, 4, 5, 4, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fit(m, Laplace.Subset.ALL, Laplace.Structure.FULL));
        assertTrue(e.getMessage().contains("last-layer only"), e.getMessage());
    }

    @Test
    void calibrationCountsBins() {
        float[] probs = {0.9f, 0.1f, 0.6f, 0.4f, 0.3f, 0.7f, 0.95f, 0.05f};
        int[] labels = {0, 1, 0, 0};
        Calibration c = Calibration.of(probs, labels, 4, 2, 15);
        assertEquals(0.5, c.accuracy(), 1e-12);
        // bins: 0.9 (right), 0.6 (wrong), 0.7 (wrong), 0.95 (right): |1-.9| + |0-.6| + |0-.7| + |1-.95|, over 4
        assertEquals((0.1 + 0.6 + 0.7 + 0.05) / 4, c.ece(), 1e-6);
        assertEquals(-(Math.log(0.9) + Math.log(0.4) + Math.log(0.3) + Math.log(0.95)) / 4, c.nll(), 1e-6);
    }
}
