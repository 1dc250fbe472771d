package org.panagrad.autodiff;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SmallModel;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.testing.Reference.assertClose;

/** Hessian-vector and Gauss-Newton-vector products against explicit matrices on small models, in float64. */
class SecondOrderTest {

    @ParameterizedTest
    @EnumSource(value = Activation.class, names = {"TANH", "RELU"})
    void bothHvpModesEqualTheExplicitHessianTimesV(Activation act) {
        for (boolean mse : new boolean[] {false, true}) {
            SmallModel m = new SmallModel(act, mse, 11, 5, 3, 4, 3);
            double[][] hess = m.explicitHessian();
            for (int i = 0; i < m.size; i++) {
                for (int j = 0; j < i; j++) {
                    assertTrue(Math.abs(hess[i][j] - hess[j][i]) < 1e-6, "Hessian symmetric at " + i + "," + j);
                }
            }
            Node[] v = m.directionInputs("v");
            Node[] ror = Autodiff.hvpReverseOverReverse(m.loss, m.params, v);
            Node[] forr = Autodiff.hvpForwardOverReverse(m.loss, m.params, v);
            Random rnd = new Random(3);
            for (int trial = 0; trial < 3; trial++) {
                double[] vv = Reference.random(rnd, m.size, -1, 1);
                Map<Node, double[]> feed = new HashMap<>(m.feed);
                m.scatter(vv, v, feed);
                Map<Node, double[]> values = ReferenceInterpreter.evaluate(
                        List.of(concat(ror, forr)), feed);
                double[] expected = SmallModel.times(hess, vv);
                String what = act + (mse ? " mse" : " cross-entropy");
                assertClose(what + " reverse-over-reverse", expected, m.flatten(ror, values), 1e-6, 1e-8);
                assertClose(what + " forward-over-reverse", expected, m.flatten(forr, values), 1e-6, 1e-8);
            }
        }
    }

    @Test
    void softmaxCrossEntropyHessianInTheLogitsIsDiagPMinusPPTransposeOverBatch() {
        int batch = 3, classes = 4;
        Graph g = new Graph();
        Node z = g.input("z", batch, classes);
        Node labels = g.labels("y", batch, classes);
        Node loss = SoftmaxCrossEntropy.of(z, labels);
        Node v = g.input("v", batch, classes);
        Node[] hvp = Autodiff.hvpForwardOverReverse(loss, new Node[] {z}, new Node[] {v});
        Node[] hvp2 = Autodiff.hvpReverseOverReverse(loss, new Node[] {z}, new Node[] {v});
        Random rnd = new Random(5);
        double[] zv = Reference.random(rnd, batch * classes, -2, 2);
        Map<Node, double[]> feed = new HashMap<>(Map.of(z, zv, labels, new double[] {0, 3, 1}));
        int n = batch * classes;
        for (int col = 0; col < n; col++) {
            double[] e = new double[n];
            e[col] = 1;
            feed.put(v, e);
            double[] got = ReferenceInterpreter.evaluate(hvp[0], feed);
            double[] got2 = ReferenceInterpreter.evaluate(hvp2[0], feed);
            double[] expected = new double[n];
            int row = col / classes;
            double[] p = softmax(zv, row * classes, classes);
            for (int j = 0; j < classes; j++) {
                int c = col % classes;
                expected[row * classes + j] = ((j == c ? p[j] : 0) - p[j] * p[c]) / batch;
            }
            assertClose("Hessian column " + col, expected, got, 1e-12, 1e-15);
            assertClose("Hessian column " + col + " (reverse over reverse)", expected, got2, 1e-12, 1e-15);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Activation.class, names = {"TANH", "RELU"})
    void gaussNewtonProductEqualsJTransposeHJvBuiltExplicitly(Activation act) {
        for (boolean mse : new boolean[] {false, true}) {
            SmallModel m = new SmallModel(act, mse, 21, 4, 3, 5, 3);
            int outs = m.logits.shape().numel();
            // J: d logits / d theta, column by column from central differences.
            double[] theta = m.flatten(m.params, m.feed);
            double[][] jac = new double[outs][m.size];
            for (int j = 0; j < m.size; j++) {
                double[] plus = theta.clone(), minus = theta.clone();
                plus[j] += 1e-6;
                minus[j] -= 1e-6;
                double[] zp = logitsAt(m, plus), zm = logitsAt(m, minus);
                for (int i = 0; i < outs; i++) jac[i][j] = (zp[i] - zm[i]) / 2e-6;
            }
            // H_L in the logits, explicit.
            double[] z = ReferenceInterpreter.evaluate(m.logits, m.feed);
            double[][] hl = new double[outs][outs];
            int batch = m.logits.shape().dim(0), classes = m.logits.shape().dim(1);
            for (int r = 0; r < batch; r++) {
                double[] p = softmax(z, r * classes, classes);
                for (int a = 0; a < classes; a++) {
                    for (int b = 0; b < classes; b++) {
                        hl[r * classes + a][r * classes + b] = mse ? (a == b ? 2.0 / outs : 0)
                                : ((a == b ? p[a] : 0) - p[a] * p[b]) / batch;
                    }
                }
            }
            Node[] v = m.directionInputs("v");
            Node[] ggn = Autodiff.ggnVectorProduct(m.loss, m.params, v);
            double[] vv = Reference.random(new Random(9), m.size, -1, 1);
            Map<Node, double[]> feed = new HashMap<>(m.feed);
            m.scatter(vv, v, feed);
            double[] got = m.flatten(ggn, ReferenceInterpreter.evaluate(List.of(ggn), feed));
            double[] jv = SmallModel.times(jac, vv);
            double[] hjv = SmallModel.times(hl, jv);
            double[] expected = new double[m.size];
            for (int j = 0; j < m.size; j++) for (int i = 0; i < outs; i++) expected[j] += jac[i][j] * hjv[i];
            assertClose(act + (mse ? " mse" : " cross-entropy") + " GGN", expected, got, 1e-6, 1e-9);
        }
    }

    private static double[] logitsAt(SmallModel m, double[] theta) {
        Map<Node, double[]> f = new HashMap<>(m.feed);
        m.scatter(theta, m.params, f);
        return ReferenceInterpreter.evaluate(m.logits, f);
    }

    private static double[] softmax(double[] z, int off, int n) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < n; j++) max = Math.max(max, z[off + j]);
        double[] p = new double[n];
        for (int j = 0; j < n; j++) sum += p[j] = Math.exp(z[off + j] - max);
        for (int j = 0; j < n; j++) p[j] /= sum;
        return p;
    }

    private static Node[] concat(Node[] a, Node[] b) {
        Node[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
