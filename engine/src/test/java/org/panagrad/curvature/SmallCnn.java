package org.panagrad.curvature;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Conv2d;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Linear;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A tiny CNN with a batch of float-valued data, and float64 references built without the curvature package
 * (batch-of-one graphs, explicit Jacobians): conv1 (2 -> 3 channels, 3 x 3, stride 2, padding 1, bias) on
 * 7 x 7 images, ReLU, 2 x 2 max pooling, conv2 (3 -> 8, 2 x 2, padding 1, dilation 2, no bias; few positions,
 * so its norms take the Gram path), tanh, flatten, a Linear to 3 classes, softmax cross-entropy. The grouped
 * variant has conv1 2 -> 4 channels in 2 groups (materialised norms) and conv2 4 -> 32 in 2 groups (Gram norms).
 */
final class SmallCnn {
    static final int CLASSES = 3, CHANNELS = 2, SIDE = 7;
    final int batch, size;
    final boolean grouped;
    final Graph graph = new Graph();
    final Forward pass = Forward.eval();
    final Node x, labels, logits, loss;
    final List<Node> params;
    final double[] xs, ys;
    final Map<String, double[]> values = new HashMap<>();

    /** One copy of the model in a graph. */
    private record Model(Node x, Node logits, List<Node> params) {
        static Model build(Graph g, int batch, Forward pass, boolean grouped) {
            int groups = grouped ? 2 : 1, hidden = grouped ? 4 : 3, out = grouped ? 32 : 8;
            Conv2d conv1 = Conv2d.create(g, "conv1", CHANNELS, hidden, 3, 2, 1, 1, groups, true);
            Conv2d conv2 = Conv2d.create(g, "conv2", hidden, out, 2, 1, 1, 2, groups, false);
            Linear fc = Linear.create(g, "fc", out * 2 * 2, CLASSES);
            Node x = g.input("x", batch, CHANNELS, SIDE, SIDE);
            Node h = Ops.maxPool2d(Ops.relu(conv1.forward(x, pass)), 2);
            h = Ops.flatten(Ops.tanh(conv2.forward(h, pass)), 1);
            return new Model(x, fc.forward(h, pass), List.of(conv1.weight(), conv1.bias(), conv2.weight(), fc.weight(), fc.bias()));
        }
    }

    SmallCnn(long seed, int batch) {
        this(seed, batch, false);
    }

    SmallCnn(long seed, int batch, boolean grouped) {
        this.batch = batch;
        this.grouped = grouped;
        Random rnd = new Random(seed);
        Model m = Model.build(graph, batch, pass, grouped);
        x = m.x;
        logits = m.logits;
        params = m.params;
        labels = graph.labels("labels", batch, CLASSES);
        loss = Ops.crossEntropy(logits, labels);
        xs = floats(rnd, batch * CHANNELS * SIDE * SIDE, 1.0);
        ys = new double[batch];
        for (int n = 0; n < batch; n++) ys[n] = rnd.nextInt(CLASSES);
        int total = 0;
        for (Node p : params) {
            values.put(p.name(), floats(rnd, p.shape().numel(), 0.6));
            total += p.shape().numel();
        }
        size = total;
    }

    private static double[] floats(Random rnd, int n, double scale) {
        return SmallMlp.floats(rnd, n, scale);
    }

    ParameterStore store() {
        return SmallMlp.storeOf(params, values);
    }

    void feed(Program program) {
        program.set(x, org.panagrad.testing.Reference.toFloat(xs));
        int[] l = new int[batch];
        for (int n = 0; n < batch; n++) l[n] = (int) ys[n];
        program.setLabels(labels, l);
    }

    /** The batch-of-one model of sample n, in float64. */
    private final class Single {
        final Graph g = new Graph();
        final Model m = Model.build(g, 1, Forward.eval(), grouped);
        final Node y1 = g.labels("labels", 1, CLASSES);
        final Node l = Ops.crossEntropy(m.logits, y1);
        final Node[] ps = m.params.toArray(new Node[0]);

        Map<Node, double[]> feed(int n) {
            int image = CHANNELS * SIDE * SIDE;
            Map<Node, double[]> f = new HashMap<>();
            f.put(m.x, Arrays.copyOfRange(xs, n * image, (n + 1) * image));
            f.put(y1, new double[] {ys[n]});
            for (Node p : ps) f.put(p, values.get(p.name()));
            return f;
        }

        double[] flat(Node[] nodes, Map<Node, double[]> f) {
            return SmallMlp.evaluateFlat(nodes, f, size);
        }
    }

    /** The gradient of sample n's own loss, flat in the parameters' order, from a batch-of-one graph. */
    double[] sampleGradient(int n) {
        Single s = new Single();
        return s.flat(Autodiff.grad(s.l, s.ps), s.feed(n));
    }

    /** Feeds the images only (a program over the logits). */
    void feedImages(Program program) {
        program.set(x, org.panagrad.testing.Reference.toFloat(xs));
    }

    /** Sample n's Jacobian of the logits in the parameters, [classes][size], from VJPs of unit cotangents. */
    double[][] jacobian(int n) {
        Single s = new Single();
        Node u = s.g.input("u", 1, CLASSES);
        Node[] rows = Autodiff.vjp(s.m.logits, u, s.ps);
        Map<Node, double[]> f = s.feed(n);
        double[][] jac = new double[CLASSES][];
        for (int c = 0; c < CLASSES; c++) {
            double[] e = new double[CLASSES];
            e[c] = 1;
            f.put(u, e);
            jac[c] = s.flat(rows, f);
        }
        return jac;
    }

    /** (1/N) sum_n J_n^T (diag(p_n) - p_n p_n^T) J_n, with the explicit Jacobians of {@link #jacobian}. */
    RealMatrix explicitGgn() {
        Single s = new Single();
        RealMatrix sum = new Array2DRowRealMatrix(size, size);
        for (int n = 0; n < batch; n++) {
            double[] z = ReferenceInterpreter.evaluate(s.m.logits, s.feed(n));
            double max = Arrays.stream(z).max().orElseThrow(), total = 0;
            double[] p = new double[CLASSES];
            for (int i = 0; i < CLASSES; i++) total += p[i] = Math.exp(z[i] - max);
            double[][] h = new double[CLASSES][CLASSES];
            for (int i = 0; i < CLASSES; i++) {
                for (int j = 0; j < CLASSES; j++) h[i][j] = (i == j ? p[i] / total : 0) - p[i] * p[j] / (total * total);
            }
            RealMatrix j = new Array2DRowRealMatrix(jacobian(n), false);
            sum = sum.add(j.transpose().multiply(new Array2DRowRealMatrix(h, false)).multiply(j));
        }
        return sum.scalarMultiply(1.0 / batch);
    }

    /** The parameters' names, for messages. */
    List<String> names() {
        List<String> names = new ArrayList<>();
        for (Node p : params) names.add(p.name());
        return names;
    }
}
