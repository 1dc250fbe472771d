package org.panagrad.curvature;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;
import org.panagrad.graph.Node;
import org.panagrad.nn.LayerCall;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.testing.Reference;

import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * KFC (Grosse and Martens 2016) on a small CNN: the Conv2d factors against im2col written out here, the
 * operators' parameter order (a Conv2d's W is [out, in]) against explicit Kronecker products, per-example
 * products over positions against the exact GGN diagonal and explicit Jacobians, and the K-FAC optimizer.
 */
class KfcTest {
    private static final int CONV1_OUT = 3, KERNEL = 3, STRIDE = 2, PAD = 1;

    private static LayerBackprop backprop(SmallCnn m, ParameterStore store, LayerBackprop.Vectors vectors, boolean factors,
                                          boolean perExample) {
        LayerBackprop b = LayerBackprop.compile(store, m.logits, m.pass.layerCalls(), vectors, "test", factors, perExample);
        m.feedImages(b.program());
        b.run(new SplittableRandom(1));
        return b;
    }

    /** The KFLR factors of the batch b ran on. */
    private static KroneckerFactors kflr(SmallCnn m, LayerBackprop b) {
        KroneckerFactors f = new KroneckerFactors(b, "KFLR");
        f.add(b, m.batch);
        return f;
    }

    /** conv1's patch rows with a trailing 1, by the definition of a strided, padded convolution. */
    private static double[][] conv1Patches(SmallCnn m, int n) {
        int side = SmallCnn.SIDE, out = (side + 2 * PAD - KERNEL) / STRIDE + 1, k = SmallCnn.CHANNELS * KERNEL * KERNEL;
        double[][] rows = new double[out * out][k + 1];
        for (int oy = 0; oy < out; oy++) {
            for (int ox = 0; ox < out; ox++) {
                double[] row = rows[oy * out + ox];
                for (int c = 0; c < SmallCnn.CHANNELS; c++) {
                    for (int ky = 0; ky < KERNEL; ky++) {
                        for (int kx = 0; kx < KERNEL; kx++) {
                            int y = oy * STRIDE - PAD + ky, x = ox * STRIDE - PAD + kx;
                            boolean inside = y >= 0 && y < side && x >= 0 && x < side;
                            row[(c * KERNEL + ky) * KERNEL + kx] = inside ? m.xs[((n * SmallCnn.CHANNELS + c) * side + y) * side + x] : 0;
                        }
                    }
                }
                row[k] = 1;
            }
        }
        return rows;
    }

    @Test
    void theInputFactorOfAConvolutionSumsItsPatchesOverPositions() {
        SmallCnn m = new SmallCnn(11, 3);
        LayerBackprop b = backprop(m, m.store(), LayerBackprop.Vectors.HESSIAN_FACTOR, true, false);
        KroneckerFactors f = kflr(m, b);
        int p = SmallCnn.CHANNELS * KERNEL * KERNEL + 1;
        assertEquals(p, b.inputSize(0));
        assertEquals(16, b.positions(0));
        double[] expected = new double[p * p];
        for (int n = 0; n < m.batch; n++) {
            for (double[] row : conv1Patches(m, n)) {
                for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) expected[i * p + j] += row[i] * row[j] / m.batch;
            }
        }
        Reference.assertClose("A of conv1", expected, f.inputFactor(0), 1e-5, 1e-6);
        // conv2 has no bias: its factor has no bias row.
        assertEquals(3 * 2 * 2, b.inputSize(1));
    }

    /** A convolution in 2 groups (one input channel each): group g's A sums the patches of channel g alone. */
    @Test
    void aGroupedConvolutionHasAnInputFactorPerGroup() {
        SmallCnn m = new SmallCnn(11, 3, true);
        LayerBackprop b = backprop(m, m.store(), LayerBackprop.Vectors.HESSIAN_FACTOR, true, false);
        KroneckerFactors f = kflr(m, b);
        int k = KERNEL * KERNEL, p = k + 1, groups = 2;
        assertEquals(groups, b.groups(0));
        assertEquals(p, b.inputSize(0));
        assertEquals(4, b.outputSize(0));
        double[] expected = new double[groups * p * p];
        for (int n = 0; n < m.batch; n++) {
            for (double[] row : conv1Patches(m, n)) {
                for (int g = 0; g < groups; g++) {
                    for (int i = 0; i < p; i++) {
                        for (int j = 0; j < p; j++) {
                            double ri = i < k ? row[g * k + i] : 1, rj = j < k ? row[g * k + j] : 1;
                            expected[(g * p + i) * p + j] += ri * rj / m.batch;
                        }
                    }
                }
            }
        }
        Reference.assertClose("A of each group of conv1", expected, f.inputFactor(0), 1e-5, 1e-6);
        assertEquals(groups * 2 * 2, f.gradientFactor(0).length);
    }

    @Test
    void theGradientFactorAveragesOverPositions() {
        SmallCnn m = new SmallCnn(13, 4);
        LayerBackprop b = backprop(m, m.store(), LayerBackprop.Vectors.HESSIAN_FACTOR, true, true);
        KroneckerFactors f = kflr(m, b);
        int q = b.outputSize(0), rows = SmallCnn.CLASSES * m.batch * b.positions(0);
        float[] g = new float[rows * q];
        b.readGradients(0, g);
        // tr G = sum of the squared output gradients over examples, classes and positions / (B P).
        double trace = 0, squares = 0;
        for (int o = 0; o < q; o++) trace += f.gradientFactor(0)[o * q + o];
        for (float v : g) squares += (double) v * v;
        assertEquals(squares / (m.batch * b.positions(0)), trace, 1e-5 * trace);
    }

    /** Explicitly: sum_l A_l ⊗ G_l (per group of a grouped layer, nothing between groups) in the parameters' order. */
    @org.junit.jupiter.params.ParameterizedTest(name = "grouped {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void kroneckerOperatorsTakeParametersInTheirOwnOrder(boolean grouped) {
        SmallCnn m = new SmallCnn(17, 4, grouped);
        LayerBackprop b = backprop(m, m.store(), LayerBackprop.Vectors.HESSIAN_FACTOR, true, false);
        KroneckerFactors f = kflr(m, b);
        KroneckerCurvature k = f.curvature();
        assertEquals(m.size, k.dimension());
        Random rnd = new Random(3);
        float[] v = new float[m.size], out = new float[m.size];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        k.apply(v, out);
        double[] expected = new double[m.size];
        int offset = 0;
        for (int l = 0; l < b.layers().size(); l++) {
            int p = b.inputSize(l), q = b.outputSize(l), qg = q / b.groups(l);
            int[] index = parameterIndex(b.layout(l), p, q, offset);
            double[] a = f.inputFactor(l), g = f.gradientFactor(l);
            for (int i = 0; i < p; i++) {
                for (int o = 0; o < q; o++) {
                    int group = o / qg, first = group * qg;
                    double s = 0;
                    for (int j = 0; j < p; j++) {
                        for (int r = first; r < first + qg; r++) {
                            s += a[(group * p + i) * p + j] * g[(group * qg + o - first) * qg + r - first] * v[index[j * q + r]];
                        }
                    }
                    expected[index[i * q + o]] = s;
                }
            }
            offset += p * q;
        }
        Reference.assertClose("(A ⊗ G) v", expected, Reference.toDouble(out), 1e-4, 1e-6);
        // The damped solve inverts the damped product in the same order.
        float[] damped = new float[m.size], back = new float[m.size];
        for (int i = 0; i < m.size; i++) damped[i] = out[i] + 0.1f * v[i];
        k.solve(0.1, damped, back);
        Reference.assertClose("solve after apply", Reference.toDouble(v), Reference.toDouble(back), 1e-3, 1e-4);
    }

    /** Where entry (i, o) of a layer's (in [+ 1]) x out Kronecker matrix sits among the parameters. */
    private static int[] parameterIndex(KroneckerBlock.Layout layout, int p, int q, int offset) {
        int[] index = new int[p * q];
        int in = layout.bias() ? p - 1 : p;
        for (int i = 0; i < p; i++) {
            for (int o = 0; o < q; o++) {
                index[i * q + o] = offset + (!layout.outputMajor() ? i * q + o : i < in ? o * in + i : q * in + o);
            }
        }
        return index;
    }

    @Test
    void theExactDiagonalSumsEachExamplesPositionsFirst() {
        SmallCnn m = new SmallCnn(19, 4);
        CurvatureDiagonal diagonal = CurvatureDiagonal.gaussNewton(m.store(), m.logits, m.pass.layerCalls(), "test");
        m.feedImages(diagonal.program());
        float[] ones = new float[m.size], got = new float[m.size];
        diagonal.compute(got);
        KroneckerCurvature operator = KroneckerCurvature.diagonal("GGN diagonal", m.pass.layerCalls(), got);
        java.util.Arrays.fill(ones, 1f);
        operator.apply(ones, got);
        RealMatrix ggn = m.explicitGgn();
        double[] exact = new double[m.size];
        for (int i = 0; i < m.size; i++) exact[i] = ggn.getEntry(i, i);
        Reference.assertClose("GGN diagonal", exact, Reference.toDouble(got), 1e-4, 1e-6);
    }

    @Test
    void aPosteriorWithPerLayerPrecisionsHasTheExplicitLogDeterminantAndCovariance() {
        SmallCnn m = new SmallCnn(29, 4);
        LayerBackprop b = backprop(m, m.store(), LayerBackprop.Vectors.HESSIAN_FACTOR, true, false);
        KroneckerCurvature k = kflr(m, b).curvature().scaled(m.batch);
        double[] deltas = new double[k.layers().size()];
        for (int l = 0; l < deltas.length; l++) deltas[l] = 0.3 + 0.7 * l;
        // The explicit precision C + D, D = delta_l on layer l's parameters, column by column.
        RealMatrix precision = new Array2DRowRealMatrix(m.size, m.size);
        float[] e = new float[m.size], column = new float[m.size];
        int offset = 0;
        double[] onDiagonal = new double[m.size];
        for (int l = 0; l < deltas.length; l++) {
            KroneckerCurvature.Block block = k.blockList().get(l);
            for (int i = 0; i < block.eigenvalues().length; i++) onDiagonal[offset + i] = deltas[l];
            offset += block.eigenvalues().length;
        }
        assertEquals(m.size, offset);
        for (int j = 0; j < m.size; j++) {
            java.util.Arrays.fill(e, 0f);
            e[j] = 1;
            k.apply(e, column);
            for (int i = 0; i < m.size; i++) precision.setEntry(i, j, column[i] + (i == j ? onDiagonal[i] : 0));
        }
        precision = precision.add(precision.transpose()).scalarMultiply(0.5);
        CholeskyDecomposition cholesky = new CholeskyDecomposition(precision, 1e-6, 1e-12);
        double logDet = 0;
        for (int i = 0; i < m.size; i++) logDet += 2 * Math.log(cholesky.getL().getEntry(i, i));
        assertEquals(logDet, k.logDeterminant(deltas), 1e-4 * Math.abs(logDet));
        // Samples S z have covariance S S^T = (C + D)^-1: S's columns are the samples of unit vectors.
        RealMatrix s = new Array2DRowRealMatrix(m.size, m.size);
        for (int j = 0; j < m.size; j++) {
            java.util.Arrays.fill(e, 0f);
            e[j] = 1;
            k.sampleInverse(deltas, e, column);
            for (int i = 0; i < m.size; i++) s.setEntry(i, j, column[i]);
        }
        RealMatrix covariance = cholesky.getSolver().getInverse(), sampled = s.multiply(s.transpose());
        double scale = 0;
        for (int i = 0; i < m.size; i++) scale = Math.max(scale, Math.abs(covariance.getEntry(i, i)));
        assertTrue(sampled.subtract(covariance).getNorm() < 1e-4 * scale * m.size,
                "|S S^T - (C + D)^-1| = " + sampled.subtract(covariance).getNorm() + " vs scale " + scale);
        assertThrows(IllegalArgumentException.class, () -> k.logDeterminant(new double[deltas.length + 1]));
    }

    /** EKFAC's refit, per group of a grouped convolution in that group's basis. */
    @org.junit.jupiter.params.ParameterizedTest(name = "grouped {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void ekfacRefitsToTheExactCurvatureInItsBasis(boolean grouped) {
        SmallCnn m = new SmallCnn(23, 5, grouped);
        ParameterStore store = m.store();
        LayerBackprop b = backprop(m, store, LayerBackprop.Vectors.HESSIAN_FACTOR, true, true);
        EigenvalueRefit refit = new EigenvalueRefit(kflr(m, b).curvature(), b);
        refit.add(m.batch);
        KroneckerCurvature ekfac = refit.result();
        RealMatrix ggn = m.explicitGgn();
        // Each eigenvector u of the basis: EKFAC's eigenvalue is u^T GGN u.
        KroneckerBlock[] blocks = ekfac.blocks();
        float[] t = new float[m.size], w = new float[m.size], u = new float[m.size];
        for (KroneckerBlock block : blocks) {
            for (int k = 0; k < block.size(); k += grouped ? 5 : 7) {
                java.util.Arrays.fill(t, 0f);
                java.util.Arrays.fill(u, 0f);
                t[k] = 1;
                block.rotateOut(t, w, u, new GemmOperands());
                double[] ud = Reference.toDouble(u);
                double expected = Reference.dot(ud, ggn.operate(ud));
                assertEquals(expected, block.d[k], 1e-4 * (1 + Math.abs(expected)), "layer " + block.layer + " entry " + k);
            }
        }
    }

    /**
     * The linearised model's logit covariance under the KFLR posterior, J_c (C + D)^-1 J_c'^T, against the explicit
     * Jacobians of batch-of-one graphs (for a grouped CNN too: each group's rows in its own basis).
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "grouped {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void logitCovariancesFollowTheExplicitJacobians(boolean grouped) {
        SmallCnn m = new SmallCnn(29, 3, grouped);
        ParameterStore store = m.store();
        LayerBackprop b = backprop(m, store, LayerBackprop.Vectors.HESSIAN_FACTOR, true, false);
        LayerBackprop jacobian = backprop(m, store, LayerBackprop.Vectors.JACOBIAN, false, true);
        checkLogitCovariance(m, kflr(m, b).curvature(), jacobian);
        // A diagonal posterior (identity bases, Laplace's diag) over the same rows.
        double[] diagonal = SmallMlp.floats(new Random(31), m.size, 1.0);
        float[] positive = new float[m.size];
        for (int i = 0; i < m.size; i++) positive[i] = (float) (0.1 + Math.abs(diagonal[i]));
        checkLogitCovariance(m, KroneckerCurvature.diagonal("diag", m.pass.layerCalls(), positive), jacobian);
    }

    private static void checkLogitCovariance(SmallCnn m, KroneckerCurvature k, LayerBackprop jacobian) {
        double damping = 0.05;
        int classes = SmallCnn.CLASSES;
        float[] covariance = new float[m.batch * classes * classes];
        double[] layerDamping = new double[k.layers().size()];
        java.util.Arrays.fill(layerDamping, damping);
        KroneckerCurvature.Workspace w = new KroneckerCurvature.Workspace(jacobian);
        k.addLogitCovariance(jacobian, layerDamping, w, covariance, true);
        // The probit's variances alone: the same diagonal, from classes products per example instead of all pairs.
        float[] variance = new float[m.batch * classes];
        k.addLogitCovariance(jacobian, layerDamping, w, variance, false);
        for (int n = 0; n < m.batch; n++) {
            for (int c = 0; c < classes; c++) {
                assertEquals(covariance[(n * classes + c) * classes + c], variance[n * classes + c], 0f, "variance " + n + ", " + c);
            }
        }
        float[] solved = new float[m.size];
        for (int n = 0; n < m.batch; n++) {
            double[][] jac = m.jacobian(n);
            for (int c2 = 0; c2 < classes; c2++) {
                k.solve(damping, Reference.toFloat(jac[c2]), solved);
                for (int c = 0; c < classes; c++) {
                    double expected = Reference.dot(jac[c], Reference.toDouble(solved));
                    double scale = Math.sqrt(Reference.dot(jac[c], jac[c]) * Reference.dot(jac[c2], jac[c2])) / damping;
                    assertEquals(expected, covariance[(n * classes + c) * classes + c2], 1e-4 * scale,
                            "example " + n + " classes " + c + ", " + c2);
                }
            }
        }
    }

    /**
     * Influence scores s^T ∇L(z_n) from the per-example rows (group by group for grouped convolutions) against
     * the gradients of batch-of-one graphs.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "grouped {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void influenceScoresAreTheExplicitGradientsProducts(boolean grouped) {
        SmallCnn m = new SmallCnn(41, 4, grouped);
        ParameterStore store = m.store();
        LayerBackprop b = LayerBackprop.compile(store, m.logits, m.pass.layerCalls(), LayerBackprop.Vectors.SAMPLED, "influence", false, true);
        m.feedImages(b.program());
        double[] s = SmallMlp.floats(new Random(43), m.size, 1.0);
        int[] labels = new int[m.batch];
        for (int n = 0; n < m.batch; n++) labels[n] = (int) m.ys[n];
        float[] scores = new float[m.batch + 2];
        new Influence(b).scores(Reference.toFloat(s), labels, 0, scores, 1);
        for (int n = 0; n < m.batch; n++) {
            double[] g = m.sampleGradient(n);
            double expected = Reference.dot(s, g);
            assertEquals(expected, scores[1 + n], 1e-4 * Math.sqrt(Reference.dot(s, s) * Reference.dot(g, g)), "example " + n);
        }
        assertEquals(0, scores[0]);
        assertEquals(0, scores[m.batch + 1]);
    }

    /** The all-layer kron Laplace of the {@code laplace} command, fitted on m's one batch as the whole training set. */
    private static Laplace allLayerKron(SmallCnn m, ParameterStore store) {
        Laplace.Batches one = new Laplace.Batches() {
            @Override
            public int count() {
                return 1;
            }

            @Override
            public void feed(int b, org.panagrad.runtime.Program program) {
                m.feedImages(program);
            }
        };
        return Laplace.fit(store, m.logits, m.pass.layerCalls(), Laplace.Subset.ALL, Laplace.Structure.KRON, one, m.batch, 0);
    }

    /**
     * The posterior the {@code laplace} command builds (all layers, kron, through {@link Laplace#fit}) against the
     * exact Gauss-Newton blocks: per layer, N (A ⊗ G) has about the exact block's trace (a factor of N or of the
     * P positions wrong, in A or G, would be off by that factor), KFLR's Linear block is close in Frobenius norm,
     * and along the exact block's top eigenvectors KFC's posterior variance u^T (C + delta)^-1 u is within the
     * factor KFC's assumptions cost here (up to 8x on these 6 random examples; lenet5's conv layers on MNIST: 0.7-1.5x
     * of the exact blocks' logit variance). Seen through explicit columns, so a transposed Conv2d layout shows. A
     * grouped convolution's block is its groups' Kronecker blocks, exactly zero between groups, each group held to
     * the same bounds against the exact block of its own parameters. (The curvature between groups is what this
     * structure leaves out: along the top eigenvector of conv2's whole exact block, 15x the exact variance.)
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "grouped {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void laplacesKroneckerBlocksFollowTheExactGaussNewtonBlocks(boolean grouped) {
        SmallCnn m = new SmallCnn(29, 6, grouped);
        Laplace laplace = allLayerKron(m, m.store());
        double[][] kron = SmallClassifier.explicit(laplace.hessian());
        RealMatrix exact = m.explicitGgn().scalarMultiply(m.batch);
        int[] sizes = grouped ? new int[] {KERNEL * KERNEL * 4 + 4, 2 * 2 * 2 * 32, 32 * 2 * 2 * SmallCnn.CLASSES + SmallCnn.CLASSES}
                : new int[] {SmallCnn.CHANNELS * KERNEL * KERNEL * CONV1_OUT + CONV1_OUT, 3 * 2 * 2 * 8, 8 * 2 * 2 * SmallCnn.CLASSES + SmallCnn.CLASSES};
        int offset = 0;
        for (int l = 0; l < sizes.length; l++) {
            String layer = laplace.layers().get(l);
            // A grouped convolution's groups one at a time (its weight [O, K] then its bias, if any).
            int[][] parts = grouped && l < 2 ? groupIndices(offset, l == 0 ? 4 : 32, l == 0 ? KERNEL * KERNEL : 8, l == 0, 2)
                    : new int[][] {java.util.stream.IntStream.range(offset, offset + sizes[l]).toArray()};
            for (int g = 0; g < parts.length; g++) {
                int[] part = parts[g];
                String what = "layer " + layer + (parts.length > 1 ? " group " + g : "");
                compareWithTheExactBlock(what, exact.getSubMatrix(part, part), kronBlock(kron, part, part), l == 2);
                for (int h = 0; h < parts.length; h++) {
                    if (h == g) continue;
                    assertEquals(0, kronBlock(kron, part, parts[h]).getNorm(), 0, what + ": nothing between groups " + g + " and " + h);
                }
            }
            offset += sizes[l];
        }
        assertEquals(m.size, offset);
    }

    /**
     * The KfcTest bounds for one block: the trace of N (A ⊗ G) against the exact block's, the Frobenius distance for
     * a Linear layer, and the posterior variances along the exact block's top three eigenvectors.
     */
    private static void compareWithTheExactBlock(String what, RealMatrix exact, RealMatrix c, boolean linear) {
        int n = exact.getRowDimension();
        double delta = 1;
        RealMatrix e = exact.add(exact.transpose()).scalarMultiply(0.5);
        double ratio = c.getTrace() / e.getTrace();
        assertTrue(ratio > 0.7 && ratio < 1.4, what + ": trace of N (A ⊗ G) / exact = " + ratio);
        if (linear) {
            double distance = c.subtract(e).getFrobeniusNorm() / e.getFrobeniusNorm();
            assertTrue(distance < 0.1, "Linear " + what + ": KFLR's relative Frobenius distance " + distance);
        }
        RealMatrix identity = org.apache.commons.math3.linear.MatrixUtils.createRealIdentityMatrix(n).scalarMultiply(delta);
        RealMatrix kronCovariance = new CholeskyDecomposition(c.add(c.transpose()).scalarMultiply(0.5).add(identity)).getSolver().getInverse();
        RealMatrix exactCovariance = new CholeskyDecomposition(e.add(identity)).getSolver().getInverse();
        org.apache.commons.math3.linear.EigenDecomposition eigen = new org.apache.commons.math3.linear.EigenDecomposition(e);
        double[] values = eigen.getRealEigenvalues();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Double.compare(values[b], values[a]));
        for (int t = 0; t < 3; t++) {
            org.apache.commons.math3.linear.RealVector u = eigen.getEigenvector(order[t]);
            double kronVariance = u.dotProduct(kronCovariance.operate(u)), exactVariance = u.dotProduct(exactCovariance.operate(u));
            double r = kronVariance / exactVariance;
            assertTrue(r > 0.5 && r < (linear ? 1.1 : 12), what + ", eigenvector " + t + " (eigenvalue "
                    + values[order[t]] + "): posterior variance " + kronVariance + " against the exact " + exactVariance);
        }
    }

    private static RealMatrix kronBlock(double[][] kron, int[] rows, int[] cols) {
        RealMatrix c = new Array2DRowRealMatrix(rows.length, cols.length);
        for (int i = 0; i < rows.length; i++) for (int j = 0; j < cols.length; j++) c.setEntry(i, j, kron[rows[i]][cols[j]]);
        return c;
    }

    /** The parameter indices of each group of a convolution's weight [out, k] at offset, then its bias [out]. */
    private static int[][] groupIndices(int offset, int out, int k, boolean bias, int groups) {
        int per = out / groups;
        int[][] parts = new int[groups][];
        for (int g = 0; g < groups; g++) {
            int[] part = new int[per * k + (bias ? per : 0)];
            int i = 0;
            for (int o = g * per; o < (g + 1) * per; o++) for (int j = 0; j < k; j++) part[i++] = offset + o * k + j;
            if (bias) for (int o = g * per; o < (g + 1) * per; o++) part[i++] = offset + out * k + o;
            parts[g] = part;
        }
        return parts;
    }

    /**
     * The GLM Monte Carlo predictive (laplace-torch's glm + mc) of the all-layer kron posterior converges to the
     * linearised model's predictive integral E[softmax(f)], f ~ N(f_MAP, J (H + delta I)^-1 J^T): the reference
     * takes the explicit Jacobians of batch-of-one graphs and Gauss-Hermite quadrature over the 3 logits (24
     * points each). The probit approximates the same integral and lands near it; the MAP softmax does not.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "grouped {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void glmMonteCarloConvergesToTheLinearisedPredictive(boolean grouped) {
        SmallCnn m = new SmallCnn(47, 3, grouped);
        ParameterStore store = m.store();
        Laplace laplace = allLayerKron(m, store);
        LayerBackprop jacobian = laplace.jacobianProgram(store, m.logits, m.pass.layerCalls());
        m.feedImages(jacobian.program());
        org.panagrad.runtime.Program forward = org.panagrad.compiler.Compiler.compile(store, List.of(m.logits));
        m.feedImages(forward);
        forward.run();
        int classes = SmallCnn.CLASSES, samples = 40_000;
        float[] logits = forward.get(m.logits), glm = new float[logits.length], probit = new float[logits.length];
        org.apache.commons.math3.analysis.integration.gauss.GaussIntegrator hermite =
                new org.apache.commons.math3.analysis.integration.gauss.GaussIntegratorFactory().hermite(24);
        float[] solved = new float[m.size];
        // A broad posterior (the probit is then only an approximation, here up to 0.06 off) and a narrow one.
        for (double delta : new double[] {2.0, 200.0}) {
            laplace.setPriorPrecision(delta);
            laplace.glmMonteCarlo(jacobian, logits, samples, new SplittableRandom(11), glm);
            laplace.probit(jacobian, logits, probit);
            double farthestFromMap = 0;
            for (int n = 0; n < m.batch; n++) {
                double[][] jac = m.jacobian(n);
                RealMatrix covariance = new Array2DRowRealMatrix(classes, classes);
                for (int c2 = 0; c2 < classes; c2++) {
                    laplace.hessian().solve(delta, Reference.toFloat(jac[c2]), solved);
                    for (int c = 0; c < classes; c++) covariance.setEntry(c, c2, Reference.dot(jac[c], Reference.toDouble(solved)));
                }
                covariance = covariance.add(covariance.transpose()).scalarMultiply(0.5);
                org.apache.commons.math3.linear.EigenDecomposition eig = new org.apache.commons.math3.linear.EigenDecomposition(covariance);
                RealMatrix root = eig.getV().multiply(org.apache.commons.math3.linear.MatrixUtils.createRealDiagonalMatrix(
                        java.util.Arrays.stream(eig.getRealEigenvalues()).map(x -> Math.sqrt(Math.max(x, 0))).toArray()));
                double[] expected = new double[classes], z = new double[classes], f0 = new double[classes];
                for (int c = 0; c < classes; c++) f0[c] = logits[n * classes + c];
                double[] map = softmax(f0);
                int points = hermite.getNumberOfPoints();
                for (int i = 0; i < points; i++) {
                    for (int j = 0; j < points; j++) {
                        for (int k = 0; k < points; k++) {
                            // E g(z), z ~ N(0, I) = pi^(-3/2) sum w_i w_j w_k g(sqrt(2) x).
                            double weight = hermite.getWeight(i) * hermite.getWeight(j) * hermite.getWeight(k) / Math.pow(Math.PI, 1.5);
                            z[0] = Math.sqrt(2) * hermite.getPoint(i);
                            z[1] = Math.sqrt(2) * hermite.getPoint(j);
                            z[2] = Math.sqrt(2) * hermite.getPoint(k);
                            double[] f = root.operate(z);
                            for (int c = 0; c < classes; c++) f[c] += f0[c];
                            double[] p = softmax(f);
                            for (int c = 0; c < classes; c++) expected[c] += weight * p[c];
                        }
                    }
                }
                for (int c = 0; c < classes; c++) {
                    String what = "delta " + delta + ", example " + n + " class " + c;
                    // A probability's Monte Carlo error is at most 0.5 / sqrt(samples) (0.0025): 4 of them.
                    assertEquals(expected[c], glm[n * classes + c], 0.01, "GLM Monte Carlo, " + what);
                    assertEquals(expected[c], probit[n * classes + c], delta < 100 ? 0.1 : 0.01, "probit, " + what);
                    farthestFromMap = Math.max(farthestFromMap, Math.abs(expected[c] - map[c]));
                }
            }
            if (delta < 100) assertTrue(farthestFromMap > 0.05, "the posterior must move the prediction for the test to mean anything: " + farthestFromMap);
        }
    }

    private static double[] softmax(double[] f) {
        double max = java.util.Arrays.stream(f).max().orElseThrow(), sum = 0;
        double[] out = new double[f.length];
        for (int c = 0; c < f.length; c++) sum += out[c] = Math.exp(f[c] - max);
        for (int c = 0; c < f.length; c++) out[c] /= sum;
        return out;
    }

    /**
     * What the {@code laplace} command's Monte Carlo predictive runs: {@link Laplace#sample} writes theta + S z into
     * the CNN's parameters, S S^T = (H + delta I)^-1 for the H that Laplace fitted (S, not the covariance itself;
     * written in the parameters' own order, a Conv2d's [out, in] weight included), and {@link Laplace#restoreMap}
     * puts theta back.
     */
    @Test
    void laplaceSamplesTheCnnsPosteriorIntoItsParameters() {
        SmallCnn m = new SmallCnn(37, 4);
        ParameterStore store = m.store();
        Laplace laplace = allLayerKron(m, store);
        double delta = 0.7;
        laplace.setPriorPrecision(delta);
        org.panagrad.analysis.FlatParameters flat = new org.panagrad.analysis.FlatParameters(store, m.params);
        float[] map = new float[m.size], z = new float[m.size], draw = new float[m.size], written = new float[m.size];
        flat.read(map);
        laplace.sample(new SplittableRandom(5), z, draw);
        flat.read(written);
        // S from the sampler's columns; the precision H + delta I from the fitted operator's columns.
        RealMatrix s = new Array2DRowRealMatrix(m.size, m.size), precision = new Array2DRowRealMatrix(m.size, m.size);
        float[] e = new float[m.size], column = new float[m.size];
        for (int j = 0; j < m.size; j++) {
            java.util.Arrays.fill(e, 0f);
            e[j] = 1;
            laplace.hessian().sampleInverse(delta, e, column);
            for (int i = 0; i < m.size; i++) s.setEntry(i, j, column[i]);
            laplace.hessian().apply(e, column);
            for (int i = 0; i < m.size; i++) precision.setEntry(i, j, column[i] + (i == j ? delta : 0));
        }
        double[] expected = s.operate(Reference.toDouble(z));
        for (int i = 0; i < m.size; i++) expected[i] += map[i];
        Reference.assertClose("the sample in the store", expected, Reference.toDouble(written), 1e-4, 1e-5);
        RealMatrix covariance = new CholeskyDecomposition(precision.add(precision.transpose()).scalarMultiply(0.5), 1e-6, 1e-12)
                .getSolver().getInverse();
        double error = s.multiply(s.transpose()).subtract(covariance).getNorm() / covariance.getNorm();
        assertTrue(error < 1e-4, "|S S^T - (H + delta I)^-1| / |(H + delta I)^-1| = " + error);
        laplace.restoreMap();
        flat.read(written);
        Reference.assertClose("the MAP restored", Reference.toDouble(map), Reference.toDouble(written), 0, 0);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "grouped {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void kfacTrainsTheSmallCnn(boolean grouped) {
        SmallCnn m = new SmallCnn(31, 8, grouped);
        ParameterStore store = m.store();
        List<LayerCall> layers = m.pass.layerCalls();
        KfacOptimizer kfac = KfacOptimizer.create(store, m.loss, m.logits, layers,
                new KfacOptimizer.Options(0.2, 1e-2, 0.5, 1e-2, 0.9, 1, 1, 7, 0, 1));
        m.feed(kfac.programs().get(0));
        m.feedImages(kfac.programs().get(1));
        float first = kfac.step(), last = first;
        for (int s = 0; s < 30; s++) last = kfac.step();
        assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);
    }

    /**
     * K-FAC's first step is -lr (A + pi sqrt(gamma) I)^-1 V (G + sqrt(gamma)/pi I)^-1 per layer, V the mean
     * gradient (from batch-of-one graphs) as an (in + 1) x out matrix, and per group of a grouped convolution with
     * that group's factors, pi balancing its own traces; the factors are the ones the optimizer saves.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "grouped {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void kfacStepsByEachGroupsDampedFactors(boolean grouped) {
        SmallCnn m = new SmallCnn(33, 6, grouped);
        ParameterStore store = m.store();
        double lr = 0.1, gamma = 0.03;
        KfacOptimizer kfac = KfacOptimizer.create(store, m.loss, m.logits, m.pass.layerCalls(),
                new KfacOptimizer.Options(lr, gamma, 0.5, 0, 0.9, 1, 1, 7, 0, 1));
        m.feed(kfac.programs().get(0));
        m.feedImages(kfac.programs().get(1));
        org.panagrad.analysis.FlatParameters flat = new org.panagrad.analysis.FlatParameters(store, m.params);
        float[] before = new float[m.size], after = new float[m.size];
        flat.read(before);
        kfac.step();
        flat.read(after);
        double[] gradient = new double[m.size];
        for (int n = 0; n < m.batch; n++) {
            double[] g = m.sampleGradient(n);
            for (int i = 0; i < m.size; i++) gradient[i] += g[i] / m.batch;
        }
        java.util.Map<String, float[]> saved = new java.util.HashMap<>();
        for (org.panagrad.io.TensorData t : kfac.snapshot().tensors()) saved.put(t.name(), t.data());
        int groups = grouped ? 2 : 1;
        // conv1 (bias, [out, in] weight), conv2 (no bias), fc (Linear: [in, out] weight, bias).
        String[] names = {"conv1", "conv2", "fc"};
        int[] ins = {SmallCnn.CHANNELS * KERNEL * KERNEL / groups, (grouped ? 4 : 3) * 4 / groups, (grouped ? 32 : 8) * 4};
        int[] outs = {grouped ? 4 : 3, grouped ? 32 : 8, SmallCnn.CLASSES};
        int[] layerGroups = {groups, groups, 1};
        boolean[] bias = {true, false, true}, outputMajor = {true, true, false};
        int offset = 0;
        for (int l = 0; l < 3; l++) {
            int in = ins[l], p = in + (bias[l] ? 1 : 0), q = outs[l], qg = q / layerGroups[l];
            int[] index = new int[p * q];
            for (int i = 0; i < p; i++) {
                for (int o = 0; o < q; o++) {
                    index[i * q + o] = i == in ? offset + q * in + o : offset + (outputMajor[l] ? o * in + i : i * q + o);
                }
            }
            float[] a = saved.get("A." + names[l]), g = saved.get("G." + names[l]);
            assertEquals(layerGroups[l] * p * p, a.length, "A of " + names[l]);
            for (int gr = 0; gr < layerGroups[l]; gr++) {
                RealMatrix ag = new Array2DRowRealMatrix(p, p), gg = new Array2DRowRealMatrix(qg, qg), v = new Array2DRowRealMatrix(p, qg);
                for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) ag.setEntry(i, j, a[(gr * p + i) * p + j]);
                for (int i = 0; i < qg; i++) for (int j = 0; j < qg; j++) gg.setEntry(i, j, g[(gr * qg + i) * qg + j]);
                for (int i = 0; i < p; i++) for (int o = 0; o < qg; o++) v.setEntry(i, o, gradient[index[i * q + gr * qg + o]]);
                double pi = Math.sqrt((ag.getTrace() / p) / (gg.getTrace() / qg));
                RealMatrix ia = new org.apache.commons.math3.linear.LUDecomposition(ag.add(identity(p, pi * Math.sqrt(gamma)))).getSolver().getInverse();
                RealMatrix ig = new org.apache.commons.math3.linear.LUDecomposition(gg.add(identity(qg, Math.sqrt(gamma) / pi))).getSolver().getInverse();
                RealMatrix direction = ia.multiply(v).multiply(ig);
                double scale = direction.getNorm();
                for (int i = 0; i < p; i++) {
                    for (int o = 0; o < qg; o++) {
                        int at = index[i * q + gr * qg + o];
                        assertEquals(-lr * direction.getEntry(i, o), after[at] - before[at], 2e-3 * lr * scale / Math.sqrt(p * qg),
                                names[l] + " group " + gr + " (" + i + ", " + o + ")");
                    }
                }
            }
            offset += p * q;
        }
        assertEquals(m.size, offset);
    }

    private static RealMatrix identity(int n, double scale) {
        return org.apache.commons.math3.linear.MatrixUtils.createRealIdentityMatrix(n).scalarMultiply(scale);
    }
}
