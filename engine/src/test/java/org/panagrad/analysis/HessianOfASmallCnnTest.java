package org.panagrad.analysis;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.BatchNorm2d;
import org.panagrad.nn.Conv2d;
import org.panagrad.nn.Flatten;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Linear;
import org.panagrad.nn.MaxPool2d;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SmallModel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Hessian of a tiny CNN (convolution, batch norm in training mode, so through the batch statistics, max
 * pooling, a linear layer, cross-entropy): compiled float32 HVPs in both modes column by column, and power
 * iteration's top eigenvalues, against Commons Math's eigen-decomposition of the explicit float64 Hessian.
 */
class HessianOfASmallCnnTest {
    @Test
    void compiledHvpsAndTopEigenvaluesMatchTheExplicitHessian() {
        Graph g = new Graph();
        Conv2d conv = Conv2d.create(g, "conv", 1, 2, 3, 1, 1, false);
        BatchNorm2d bn = BatchNorm2d.create(g, "bn", 2);
        Linear fc = Linear.create(g, "fc", 8, 3);
        Node x = g.input("x", 3, 1, 4, 4);
        Node labels = g.labels("labels", 3, 3);
        Forward f = Forward.train();
        Node h = new Flatten().forward(MaxPool2d.of(2).forward(bn.forward(conv.forward(x, f), f), f), f);
        Node loss = SoftmaxCrossEntropy.of(fc.forward(h, f), labels);
        Node[] params = {conv.weight(), bn.weight(), bn.bias(), fc.weight(), fc.bias()};

        Random rnd = new Random(11);
        Map<Node, double[]> feed = new HashMap<>();
        feed.put(x, floats(Reference.random(rnd, 48, -1, 1)));
        feed.put(labels, Reference.randomLabels(rnd, 3, 3));
        ParameterStore store = new ParameterStore();
        int size = 0;
        for (Node p : params) {
            double[] v = floats(Reference.random(rnd, p.shape().numel(), -0.8, 0.8));
            feed.put(p, v);
            store.set(p, Reference.toFloat(v));
            size += v.length;
        }
        ExplicitOperator reference = new ExplicitOperator(SmallModel.explicitHessian(loss, params, feed));
        double scale = Math.abs(reference.byMagnitude()[0]);
        assertTrue(scale > 1e-3, "a Hessian worth testing: " + scale);

        for (CurvatureProduct.Kind kind : new CurvatureProduct.Kind[] {CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE,
                CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE}) {
            CurvatureProduct hvp = CurvatureProduct.compile(store, loss, List.of(params), kind);
            hvp.program().set(x, Reference.toFloat(feed.get(x)));
            double[] l = feed.get(labels);
            hvp.program().setLabels(labels, new int[] {(int) l[0], (int) l[1], (int) l[2]});
            assertEquals(size, hvp.dimension());
            float[] e = new float[size], column = new float[size];
            for (int j = 0; j < size; j++) {
                java.util.Arrays.fill(e, 0f);
                e[j] = 1f;
                hvp.apply(e, column);
                for (int i = 0; i < size; i++) {
                    assertEquals(reference.matrix[i][j], column[i], 2e-4 * scale, kind + ": H[" + i + "][" + j + "]");
                }
            }
            PowerIteration.Eigenpairs top = PowerIteration.topEigenpairs(hvp, new PowerIteration.Settings(2, 3000, 1e-7, 1));
            double[] byMagnitude = reference.byMagnitude();
            for (int i = 0; i < 2; i++) {
                assertEquals(byMagnitude[i], top.eigenvalues().eigenvalues()[i], 1e-3 * scale, kind + ": eigenvalue " + i);
            }
        }
        // Nothing above is a training step: the running statistics never moved.
        assertEquals(new ArrayList<>(List.of(0f, 0f)), List.of(store.get(bn.runningMean())[0], store.get(bn.runningMean())[1]));
    }

    /** Values a float holds exactly, so that the float32 program and the float64 reference see the same point. */
    private static double[] floats(double[] v) {
        for (int i = 0; i < v.length; i++) v[i] = (float) v[i];
        return v;
    }
}
