package org.panagrad.analysis;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Embedding;
import org.panagrad.nn.EncoderBlock;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.nn.LayerNorm;
import org.panagrad.nn.Linear;
import org.panagrad.nn.Module;
import org.panagrad.nn.PositionalEmbedding;
import org.panagrad.nn.StateEntry;
import org.panagrad.ops.AttentionMask;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The top Hessian eigenvalues of a tiny transformer (embedding, positions, one pre-norm block with 2 heads of
 * fused causal attention at width 8, layer norm, head; cross-entropy over every token), from the compiled float32
 * Hessian-vector product (both modes) by power iteration, against Commons Math's eigen-decomposition of the explicit
 * Hessian: central differences of the float64 reference gradient, column by column.
 */
class TransformerHessianSpectrumTest {
    static final int VOCAB = 5, T = 4, B = 3, WIDTH = 8;

    @Test
    void topEigenvaluesMatchTheExplicitHessian() {
        Graph g = new Graph();
        List<Module> modules = List.of(Embedding.create(g, "embed", VOCAB, WIDTH), PositionalEmbedding.create(g, "pos", T, WIDTH),
                EncoderBlock.create(g, "block", WIDTH, 2, WIDTH, 1e-5, AttentionMask.causalMask(), true),
                LayerNorm.create(g, "ln", 1e-5, WIDTH), Linear.create(g, "head", WIDTH, VOCAB));
        Node ids = g.integers("ids", VOCAB, B, T), labels = g.integers("labels", VOCAB, B, T);
        Node h = ids;
        Forward f = Forward.train();
        for (Module m : modules.subList(0, 4)) h = m.forward(h, f);
        Node loss = Ops.crossEntropy(modules.get(4).forward(h, f), labels, -1);
        ParameterStore store = new ParameterStore();
        SplittableRandom rnd = new SplittableRandom(5);
        List<Node> params = new ArrayList<>();
        for (Module m : modules) {
            m.initialize(store, Init.XAVIER_UNIFORM, rnd);
            for (StateEntry e : m.state()) params.add(e.node());
        }
        // Away from the initial zeros and ones, so every parameter's curvature shows.
        for (Node p : params) {
            float[] v = store.get(p);
            for (int i = 0; i < v.length; i++) v[i] += (float) rnd.nextDouble(-0.3, 0.3);
        }
        int[] x = new int[B * T], y = new int[B * T];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextInt(VOCAB);
            y[i] = rnd.nextInt(VOCAB);
        }
        Map<Node, double[]> feed = new HashMap<>();
        feed.put(ids, java.util.Arrays.stream(x).asDoubleStream().toArray());
        feed.put(labels, java.util.Arrays.stream(y).asDoubleStream().toArray());
        int n = 0;
        for (Node p : params) {
            feed.put(p, Reference.toDouble(store.get(p)));
            n += p.shape().numel();
        }
        ExplicitOperator reference = new ExplicitOperator(explicitHessian(loss, params, feed, n));
        double[] byMagnitude = reference.byMagnitude();
        double scale = Math.abs(byMagnitude[0]);
        for (CurvatureProduct.Kind kind : new CurvatureProduct.Kind[] {CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE,
            CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE}) {
            CurvatureProduct hessian = CurvatureProduct.compile(store, loss, params, kind);
            hessian.program().setLabels(ids, x);
            hessian.program().setLabels(labels, y);
            assertEquals(n, hessian.dimension());
            PowerIteration.Eigenpairs top = PowerIteration.topEigenpairs(hessian, new PowerIteration.Settings(3, 3000, 1e-7, 1));
            for (int i = 0; i < 3; i++) {
                double lambda = top.eigenvalues().eigenvalues()[i];
                assertEquals(byMagnitude[i], lambda, 2e-4 * scale, kind + " eigenvalue " + i + " of " + byMagnitude[0] + ", "
                        + byMagnitude[1] + ", " + byMagnitude[2] + ", " + byMagnitude[3]);
                assertTrue(reference.alignment(top.eigenvectors()[i], lambda) > 0.99, kind + " eigenvector " + i);
            }
        }
    }

    private static double[][] explicitHessian(Node loss, List<Node> params, Map<Node, double[]> feed, int n) {
        Node[] grads = Autodiff.grad(loss, params.toArray(new Node[0]));
        double[][] hess = new double[n][n];
        double step = 1e-5;
        int col = 0;
        for (Node p : params) {
            double[] v = feed.get(p);
            for (int e = 0; e < v.length; e++, col++) {
                double keep = v[e];
                v[e] = keep + step;
                double[] plus = flatGradient(grads, feed);
                v[e] = keep - step;
                double[] minus = flatGradient(grads, feed);
                v[e] = keep;
                for (int i = 0; i < n; i++) hess[i][col] = (plus[i] - minus[i]) / (2 * step);
            }
        }
        return hess;
    }

    private static double[] flatGradient(Node[] grads, Map<Node, double[]> feed) {
        Map<Node, double[]> values = ReferenceInterpreter.evaluate(List.of(grads), feed);
        return java.util.Arrays.stream(grads).map(values::get).flatMapToDouble(java.util.Arrays::stream).toArray();
    }
}
