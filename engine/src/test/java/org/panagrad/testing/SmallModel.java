package org.panagrad.testing;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.MeanSquaredError;
import org.panagrad.ops.SoftmaxCrossEntropy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A small MLP with a loss, random data and random parameters, with its parameters seen as one flat vector:
 * what explicit-Hessian tests need.
 */
public final class SmallModel {
    public final Graph graph = new Graph();
    public final Mlp mlp;
    public final Node x, labels, target, logits, loss;
    public final Node[] params;
    public final Map<Node, double[]> feed = new HashMap<>();
    public final int size;

    public SmallModel(Activation act, boolean mse, long seed, int batch, int... widths) {
        Random rnd = new Random(seed);
        mlp = Mlp.create(graph, act, widths);
        x = graph.input("x", batch, widths[0]);
        logits = mlp.forward(x);
        int classes = widths[widths.length - 1];
        if (mse) {
            labels = null;
            target = graph.input("target", batch, classes);
            loss = MeanSquaredError.of(logits, target);
            feed.put(target, Reference.random(rnd, batch * classes, -1, 1));
        } else {
            target = null;
            labels = graph.labels("labels", batch, classes);
            loss = SoftmaxCrossEntropy.of(logits, labels);
            feed.put(labels, Reference.randomLabels(rnd, batch, classes));
        }
        feed.put(x, Reference.random(rnd, batch * widths[0], -1, 1));
        params = mlp.parameters().toArray(new Node[0]);
        int n = 0;
        for (Node p : params) {
            feed.put(p, Reference.random(rnd, p.shape().numel(), -0.8, 0.8));
            n += p.shape().numel();
        }
        size = n;
    }

    /** Fresh inputs shaped like the parameters, for a direction v. */
    public Node[] directionInputs(String prefix) {
        Node[] v = new Node[params.length];
        for (int i = 0; i < params.length; i++) v[i] = graph.input(prefix + i, params[i].shape().dims());
        return v;
    }

    public double[] flatten(Node[] nodes, Map<Node, double[]> values) {
        return flatten(nodes, values, size);
    }

    private static double[] flatten(Node[] nodes, Map<Node, double[]> values, int size) {
        double[] flat = new double[size];
        int off = 0;
        for (Node n : nodes) {
            double[] v = values.get(n);
            System.arraycopy(v, 0, flat, off, v.length);
            off += v.length;
        }
        return flat;
    }

    /** Puts a flat vector into a feed as values of the given nodes (shaped like the parameters). */
    public void scatter(double[] flat, Node[] nodes, Map<Node, double[]> into) {
        scatterInto(flat, nodes, into);
    }

    private static void scatterInto(double[] flat, Node[] nodes, Map<Node, double[]> into) {
        int off = 0;
        for (Node n : nodes) {
            int len = n.shape().numel();
            double[] v = new double[len];
            System.arraycopy(flat, off, v, 0, len);
            into.put(n, v);
            off += len;
        }
    }

    /** The float64 gradient of the loss at parameters theta. */
    public double[] gradientAt(double[] theta, Node[] grads) {
        return gradientAt(theta, params, grads, feed, size);
    }

    private static double[] gradientAt(double[] theta, Node[] params, Node[] grads, Map<Node, double[]> feed, int size) {
        Map<Node, double[]> f = new HashMap<>(feed);
        scatterInto(theta, params, f);
        List<Node> outs = new ArrayList<>(List.of(grads));
        return flatten(grads, org.panagrad.runtime.ReferenceInterpreter.evaluate(outs, f), size);
    }

    /** The explicit Hessian, column by column, from central differences of the float64 gradient. */
    public double[][] explicitHessian() {
        return explicitHessian(loss, params, feed);
    }

    /**
     * The explicit Hessian of any scalar loss in the given parameters (their values and every input in feed), column
     * by column from central differences of the float64 reference gradient.
     */
    public static double[][] explicitHessian(Node loss, Node[] params, Map<Node, double[]> feed) {
        int size = 0;
        for (Node p : params) size += p.shape().numel();
        Node[] grads = Autodiff.grad(loss, params);
        double[] theta = flatten(params, feed, size);
        double h = 1e-5;
        double[][] hess = new double[size][size];
        for (int j = 0; j < size; j++) {
            double[] plus = theta.clone(), minus = theta.clone();
            plus[j] += h;
            minus[j] -= h;
            double[] gp = gradientAt(plus, params, grads, feed, size), gm = gradientAt(minus, params, grads, feed, size);
            for (int i = 0; i < size; i++) hess[i][j] = (gp[i] - gm[i]) / (2 * h);
        }
        return hess;
    }

    public static double[] times(double[][] m, double[] v) {
        double[] r = new double[m.length];
        for (int i = 0; i < m.length; i++) r[i] = Reference.dot(m[i], v);
        return r;
    }
}
