package org.panagrad.analysis;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SmallModel;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The spectral methods on a compiled float32 Hessian-vector product of a small MLP with softmax cross-entropy,
 * against Commons Math's eigen-decomposition of the float64 finite-difference Hessian of the same model.
 */
class HessianSpectrumOfASmallModelTest {

    @ParameterizedTest
    @EnumSource(value = CurvatureProduct.Kind.class, names = {"HESSIAN_REVERSE_OVER_REVERSE", "HESSIAN_FORWARD_OVER_REVERSE"})
    void topEigenvaluesTraceAndDensityMatchTheExplicitHessian(CurvatureProduct.Kind kind) {
        SmallModel m = new SmallModel(Activation.TANH, false, 7, 8, 4, 6, 3);
        // The compiled program sees float parameters and inputs: let the reference see the same values.
        for (Map.Entry<Node, double[]> e : m.feed.entrySet()) {
            double[] v = e.getValue();
            for (int i = 0; i < v.length; i++) v[i] = (float) v[i];
        }
        ExplicitOperator reference = new ExplicitOperator(m.explicitHessian());
        CurvatureProduct hessian = compile(m, kind);
        assertEquals(m.size, hessian.dimension());
        double[] byMagnitude = reference.byMagnitude();
        double scale = Math.abs(byMagnitude[0]);

        PowerIteration.Eigenpairs top = PowerIteration.topEigenpairs(hessian, new PowerIteration.Settings(3, 2000, 1e-7, 1));
        for (int i = 0; i < 3; i++) {
            double lambda = top.eigenvalues().eigenvalues()[i];
            assertEquals(byMagnitude[i], lambda, 1e-4 * scale, "eigenvalue " + i + " of " + java.util.Arrays.toString(byMagnitude));
            assertTrue(top.eigenvalues().residualNorms()[i] < 1e-2 * scale, "residual " + top.eigenvalues().residualNorms()[i]);
            assertTrue(reference.alignment(top.eigenvectors()[i], lambda) > 0.999, "eigenvector " + i);
        }

        int samples = 3000;
        TraceEstimate trace = HutchinsonTrace.estimate(hessian,
                new HutchinsonTrace.Settings(samples, 0, HutchinsonTrace.StoppingRule.MEAN_CHANGE, 2));
        assertTrue(Math.abs(trace.mean() - reference.trace()) < 4 * trace.standardError(),
                trace.mean() + " vs " + reference.trace() + " +- " + trace.standardError());
        double theory = Math.sqrt(reference.hutchinsonVariance() / samples);
        assertEquals(theory, trace.standardError(), 0.15 * theory);

        // As many Lanczos steps as parameters: every node is an eigenvalue, and every eigenvalue away from the
        // null space (softmax's shift invariance gives one) is a node.
        SpectralQuadrature q = StochasticLanczosQuadrature.run(hessian, new StochasticLanczosQuadrature.Settings(1, m.size, 3));
        for (double node : q.nodes()[0]) {
            assertTrue(distance(node, reference.eigenvalues) < 1e-4 * scale, "node " + node);
        }
        for (double lambda : reference.eigenvalues) {
            if (Math.abs(lambda) > 1e-3 * scale) assertTrue(distance(lambda, q.nodes()[0]) < 1e-4 * scale, "eigenvalue " + lambda);
        }
        assertEquals(reference.eigenvalues[0], q.minNode(), 1e-4 * scale);
        assertEquals(reference.eigenvalues[m.size - 1], q.maxNode(), 1e-4 * scale);
    }

    static CurvatureProduct compile(SmallModel m, CurvatureProduct.Kind kind) {
        ParameterStore store = new ParameterStore();
        for (Node p : m.params) store.set(p, Reference.toFloat(m.feed.get(p)));
        CurvatureProduct product = CurvatureProduct.compile(store, m.loss, List.of(m.params), kind);
        product.program().set(m.x, Reference.toFloat(m.feed.get(m.x)));
        double[] labels = m.feed.get(m.labels);
        int[] classes = new int[labels.length];
        for (int i = 0; i < labels.length; i++) classes[i] = (int) labels[i];
        product.program().setLabels(m.labels, classes);
        return product;
    }

    private static double distance(double x, double[] values) {
        double d = Double.POSITIVE_INFINITY;
        for (double v : values) d = Math.min(d, Math.abs(v - x));
        return d;
    }
}
