package org.panagrad.examples;

import org.junit.jupiter.api.Test;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.analysis.PowerIteration;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's API example, kept compiling and true. */
class ReadmeExampleTest {
    @Test
    void readmeExample() {
        int batch = 128;
        float[] images = new float[batch * 784];
        int[] labels = new int[batch];
        Random rnd = new Random(1);
        for (int i = 0; i < images.length; i++) images[i] = rnd.nextFloat();
        for (int i = 0; i < batch; i++) labels[i] = rnd.nextInt(10);

        // --- README example start
        Graph g = new Graph();
        Mlp mlp = Mlp.create(g, Activation.RELU, 784, 500, 10);
        Node x = g.input("x", batch, 784);
        Node y = g.labels("y", batch, 10);
        Node loss = SoftmaxCrossEntropy.of(mlp.forward(x), y);

        ParameterStore params = new ParameterStore();
        mlp.initialize(params, Init.HE_UNIFORM, 42);

        // Forward, backward and a fused SGD-with-momentum update in one compiled program.
        TrainingStep step = TrainingStep.compile(params, loss, mlp.parameters(),
                Sgd.momentum(LearningRateSchedule.constant(0.05), 0.9, false), false);
        step.program().bind(x, images, 0);    // read in place: refill images, run again
        step.program().setLabels(y, labels, 0);
        float first = step.run();
        for (int i = 0; i < 20; i++) step.run();

        // A Hessian-vector product over the same parameters (forward-over-reverse).
        CurvatureProduct hvp = CurvatureProduct.compile(params, loss, mlp.parameters(),
                CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE);
        hvp.program().set(x, images, 0);
        hvp.program().setLabels(y, labels, 0);
        float[] v = new float[hvp.dimension()], hv = new float[hvp.dimension()];
        v[0] = 1;
        hvp.apply(v, hv); // hv = H v, the first column of the Hessian

        // Many products at one point: the forward pass and the rest that does not depend on v run once.
        LinearOperator hessian = hvp.atCurrentPoint();
        double[] top = PowerIteration.topEigenpairs(hessian, new PowerIteration.Settings(2, 200, 1e-4, 7))
                .eigenvalues().eigenvalues(); // the two largest-magnitude eigenvalues
        // --- README example end

        assertTrue(step.run() < first, "training on one batch lowers its loss");
        double vHv = hv[0];
        assertTrue(vHv >= -1e-4, "a ReLU network's cross-entropy Hessian diagonal entry is not negative: " + vHv);
        assertTrue(top[0] > 0 && Math.abs(top[0]) >= Math.abs(top[1]), java.util.Arrays.toString(top));
    }
}
