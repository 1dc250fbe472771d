package org.panagrad.optim.secondorder;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.MeanSquaredError;
import org.panagrad.ops.Ops;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.List;
import java.util.Random;

/** Small models with fixed data for the closure-based optimizers, and a feeder for all their inputs. */
final class Problems {
    final Graph graph = new Graph();
    final ParameterStore store = new ParameterStore();
    final Mlp mlp;
    final Node x, labels, target, xSub, labelsSub, loss, subLoss;
    final List<Node> params;
    final float[] inputs, targets;
    final int[] classes;
    final int batch, features, outputs;
    /** Sets every input of the problem; programs ignore those they do not read. */
    final BatchFeeder feeder;

    private Problems(Activation act, boolean regression, double l2, long seed, int batch, int subBatch, int... widths) {
        Random rnd = new Random(seed);
        this.batch = batch;
        this.features = widths[0];
        this.outputs = widths[widths.length - 1];
        mlp = Mlp.create(graph, act, widths);
        params = mlp.parameters();
        mlp.initialize(store, Init.XAVIER_UNIFORM, seed);
        x = graph.input("x", batch, features);
        xSub = graph.input("x_sub", subBatch, features);
        inputs = new float[batch * features];
        for (int i = 0; i < inputs.length; i++) inputs[i] = (float) rnd.nextGaussian();
        if (regression) {
            labels = labelsSub = null;
            target = graph.input("target", batch, outputs);
            Node targetSub = graph.input("target_sub", subBatch, outputs);
            targets = new float[batch * outputs];
            for (int i = 0; i < targets.length; i++) targets[i] = (float) rnd.nextGaussian();
            classes = null;
            loss = regularized(MeanSquaredError.of(mlp.forward(x), target), l2);
            subLoss = regularized(MeanSquaredError.of(mlp.forward(xSub), targetSub), l2);
            feeder = p -> {
                p.set(x, inputs, 0);
                p.set(xSub, inputs, 0);
                p.set(target, targets, 0);
                p.set(targetSub, targets, 0);
            };
        } else {
            target = null;
            targets = null;
            labels = graph.labels("labels", batch, outputs);
            labelsSub = graph.labels("labels_sub", subBatch, outputs);
            // Labels drawn from a softmax of a random linear map: learnable but not separable, so that the
            // regularized logistic regression has a unique, finite optimum.
            classes = new int[batch];
            double[][] truth = new double[outputs][features];
            for (double[] row : truth) for (int j = 0; j < features; j++) row[j] = rnd.nextGaussian();
            for (int i = 0; i < batch; i++) {
                double[] p = new double[outputs];
                double sum = 0;
                for (int c = 0; c < outputs; c++) {
                    double z = 0;
                    for (int j = 0; j < features; j++) z += truth[c][j] * inputs[i * features + j];
                    p[c] = Math.exp(z);
                    sum += p[c];
                }
                double u = rnd.nextDouble() * sum;
                int c = 0;
                while (c < outputs - 1 && (u -= p[c]) > 0) c++;
                classes[i] = c;
            }
            loss = regularized(SoftmaxCrossEntropy.of(mlp.forward(x), labels), l2);
            subLoss = regularized(SoftmaxCrossEntropy.of(mlp.forward(xSub), labelsSub), l2);
            feeder = p -> {
                p.set(x, inputs, 0);
                p.set(xSub, inputs, 0);
                p.setLabels(labels, classes, 0);
                p.setLabels(labelsSub, classes, 0);
            };
        }
    }

    /** Multinomial logistic regression with an L2 penalty l2/2 |theta|^2: strictly convex. */
    static Problems logisticRegression(long seed, int batch, int features, int classes, double l2) {
        return new Problems(Activation.RELU, false, l2, seed, batch, batch, features, classes);
    }

    /** Linear least squares: the loss is exactly quadratic. */
    static Problems leastSquares(long seed, int batch, int features, int outputs) {
        return new Problems(Activation.RELU, true, 0, seed, batch, batch, features, outputs);
    }

    /** A small tanh MLP classifier whose curvature loss is on the first subBatch examples. */
    static Problems mlp(long seed, int batch, int subBatch, int... widths) {
        return new Problems(Activation.TANH, false, 0, seed, batch, subBatch, widths);
    }

    private Node regularized(Node dataLoss, double l2) {
        if (l2 == 0) return dataLoss;
        Node penalty = null;
        for (Node p : params) {
            Node s = Ops.sum(Ops.mul(p, p));
            penalty = penalty == null ? s : Ops.add(penalty, s);
        }
        return Ops.add(dataLoss, Ops.scale(penalty, l2 / 2));
    }

    Objective objective() {
        return Objective.of(loss, params);
    }

    Objective objectiveWithSubBatchCurvature() {
        return Objective.of(loss, params).withCurvatureLoss(subLoss);
    }

    float[] flatParameters() {
        int n = 0;
        for (Node p : params) n += p.shape().numel();
        float[] out = new float[n];
        new org.panagrad.analysis.FlatParameters(store, params).read(out);
        return out;
    }

    void setFlatParameters(float[] theta) {
        new org.panagrad.analysis.FlatParameters(store, params).write(theta);
    }

    void feed(Program p) {
        feeder.feed(p);
    }
}
