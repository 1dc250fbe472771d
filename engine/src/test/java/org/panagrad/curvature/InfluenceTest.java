package org.panagrad.curvature;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Forward;
import org.panagrad.ops.Ops;
import org.panagrad.optim.secondorder.ConjugateGradient;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Influence scores -∇L_test^T (H + lambda I)^-1 ∇L_train against the explicit Hessian and Gauss-Newton matrices of a
 * small MLP's training loss, with per-example gradients from batch-of-one programs as the reference.
 */
class InfluenceTest {
    private static final double DAMPING = 0.05, HESSIAN_DAMPING = 0.3;

    @Test
    void exactScoresAreTheExplicitFormulaAndCgAgreesOnTheGaussNewton() {
        SmallClassifier m = new SmallClassifier(41, 10, 4, 5, 3);
        int d = m.size();
        // Per-example gradients of each training example and of a test example, from batch-of-one programs.
        Graph g = m.graph;
        Node x1 = g.input("x1", 1, 4), y1 = g.labels("y1", 1, 3);
        Node loss1 = Ops.crossEntropy(m.mlp.forward(x1, Forward.eval()), y1);
        Node[] grads = Autodiff.grad(loss1, m.mlp.parameters().toArray(new Node[0]));
        Program one = Compiler.compile(m.store, List.of(grads));
        List<float[]> trainGrads = new ArrayList<>();
        for (int n = 0; n < m.batch; n++) trainGrads.add(gradient(one, x1, y1, grads, m.images, n, m.classes[n], d));
        float[] testImage = {0.3f, -0.7f, 0.1f, 0.9f};
        float[] testGrad = gradient(one, x1, y1, grads, testImage, 0, 2, d);

        // Exact: the explicit Hessian of the mean training loss.
        CurvatureProduct hvp = CurvatureProduct.compile(m.store, m.loss, m.mlp.parameters(), CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE);
        hvp.program().set(m.x, m.images);
        hvp.program().setLabels(m.labels, m.classes);
        double[][] h = SmallClassifier.explicit(hvp);
        double[] flat = new double[d * d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) flat[i * d + j] = h[i][j];
        float[] s = new float[d];
        DenseCurvature hessian = new DenseCurvature("the Hessian", flat, d);
        // The Hessian is indefinite here: a small damping fails, suggesting a larger one.
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> hessian.solve(DAMPING, testGrad, new float[d]));
        assertTrue(e.getMessage().contains("indefinite") && e.getMessage().contains("add damping"), e.getMessage());
        double suggested = Double.parseDouble(e.getMessage().replaceAll(".*a damping of ", ""));
        hessian.solve(suggested, testGrad, new float[d]); // the suggestion works
        hessian.solve(HESSIAN_DAMPING, testGrad, s);
        for (int i = 0; i < d; i++) s[i] = -s[i];
        float[] scores = scores(m, s);
        double[] expected = reference(h, HESSIAN_DAMPING, testGrad, trainGrads);
        for (int n = 0; n < m.batch; n++) assertEquals(expected[n], scores[n], 1e-3 * (1 + Math.abs(expected[n])), "exact " + n);

        // CG on the damped Gauss-Newton matrix, against the same formula with the explicit Gauss-Newton matrix.
        float[] cg = new float[d];
        new ConjugateGradient(d, 400, 1e-12).solve(product(m).damped(DAMPING)::apply, testGrad, cg); // cg = -(G + l I)^-1 g
        float[] cgScores = scores(m, cg);
        double[] expectedGgn = reference(m.ggn(), DAMPING, testGrad, trainGrads);
        for (int n = 0; n < m.batch; n++) assertEquals(expectedGgn[n], cgScores[n], 1e-3 * (1 + Math.abs(expectedGgn[n])), "cg " + n);
    }

    private static CurvatureProduct product(SmallClassifier m) {
        CurvatureProduct ggn = CurvatureProduct.compile(m.store, m.loss, m.mlp.parameters(), CurvatureProduct.Kind.GAUSS_NEWTON);
        ggn.program().set(m.x, m.images);
        ggn.program().setLabels(m.labels, m.classes);
        return ggn;
    }

    private static float[] scores(SmallClassifier m, float[] s) {
        LayerBackprop b = m.backprop(LayerBackprop.Vectors.SAMPLED, "influence", false, true);
        float[] out = new float[m.batch];
        new Influence(b).scores(s, m.classes, 0, out, 0);
        return out;
    }

    /** -g_test^T (H + lambda I)^-1 g_n for each n, by Commons Math. */
    private static double[] reference(double[][] h, double damping, float[] testGrad, List<float[]> trainGrads) {
        int d = h.length;
        double[][] damped = new double[d][d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) damped[i][j] = h[i][j] + (i == j ? damping : 0);
        RealMatrix inverse = new LUDecomposition(new Array2DRowRealMatrix(damped)).getSolver().getInverse();
        double[] out = new double[trainGrads.size()];
        for (int n = 0; n < out.length; n++) {
            double s = 0;
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) s += testGrad[i] * inverse.getEntry(i, j) * trainGrads.get(n)[j];
            out[n] = -s;
        }
        return out;
    }

    private static float[] gradient(Program p, Node x1, Node y1, Node[] grads, float[] images, int n, int label, int d) {
        p.set(x1, images, n * 4);
        p.setLabels(y1, new int[] {label});
        p.run();
        float[] out = new float[d];
        int off = 0;
        for (Node gr : grads) {
            p.readInto(gr, out, off);
            off += gr.shape().numel();
        }
        return out;
    }
}
