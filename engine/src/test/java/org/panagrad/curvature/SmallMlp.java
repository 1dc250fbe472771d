package org.panagrad.curvature;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A small MLP with a batch of data whose values are floats (so float32 programs and the float64 reference see
 * the same numbers), its forward pass's layer calls, and explicit float64 references built without the
 * curvature package: per-sample gradients from batch-of-one graphs, and the GGN, Hessian and empirical
 * Fisher as Commons Math matrices.
 */
final class SmallMlp {
    final int batch, classes, size;
    final int[] widths;
    final Activation activation;
    final boolean mse;
    final Graph graph = new Graph();
    final Mlp mlp;
    final Forward pass = Forward.eval();
    final Node x, labels, target, logits, loss;
    final List<Node> params;
    final double[] xs, ys;
    final Map<String, double[]> values = new HashMap<>();

    SmallMlp(Activation activation, boolean mse, long seed, int batch, int... widths) {
        this.batch = batch;
        this.widths = widths.clone();
        this.activation = activation;
        this.mse = mse;
        this.classes = widths[widths.length - 1];
        Random rnd = new Random(seed);
        mlp = Mlp.create(graph, activation, widths);
        x = graph.input("x", batch, widths[0]);
        logits = mlp.forward(x, pass);
        xs = floats(rnd, batch * widths[0], 1.0);
        if (mse) {
            labels = null;
            target = graph.input("target", batch, classes);
            loss = Ops.mseLoss(logits, target);
            ys = floats(rnd, batch * classes, 1.0);
        } else {
            target = null;
            labels = graph.labels("labels", batch, classes);
            loss = Ops.crossEntropy(logits, labels);
            ys = new double[batch];
            for (int n = 0; n < batch; n++) ys[n] = rnd.nextInt(classes);
        }
        params = mlp.parameters();
        int total = 0;
        for (Node p : params) {
            values.put(p.name(), floats(rnd, p.shape().numel(), 0.8));
            total += p.shape().numel();
        }
        size = total;
    }

    /** n values uniform in +-scale, rounded to floats. */
    static double[] floats(Random rnd, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) (scale * (2 * rnd.nextDouble() - 1));
        return v;
    }

    ParameterStore store() {
        return storeOf(params, values);
    }

    /** A store holding each parameter's values, found by its name. */
    static ParameterStore storeOf(List<Node> params, Map<String, double[]> values) {
        ParameterStore store = new ParameterStore();
        for (Node p : params) store.set(p, toFloat(values.get(p.name())));
        return store;
    }

    void feed(Program program) {
        program.set(x, toFloat(xs));
        if (mse) {
            program.set(target, toFloat(ys));
        } else {
            int[] l = new int[batch];
            for (int n = 0; n < batch; n++) l[n] = (int) ys[n];
            program.setLabels(labels, l);
        }
    }

    /** The batch model's feed in float64. */
    Map<Node, double[]> feed() {
        Map<Node, double[]> f = new HashMap<>();
        f.put(x, xs);
        f.put(mse ? target : labels, ys);
        for (Node p : params) f.put(p, values.get(p.name()));
        return f;
    }

    /** A batch-of-one copy of the model for sample n: its gradient of the sample's loss, and its logits' Jacobian. */
    private final class Single {
        final Graph g = new Graph();
        final Mlp m = Mlp.create(g, activation, widths);
        final Node x1 = g.input("x", 1, widths[0]);
        final Node z = m.forward(x1);
        final Node y1 = mse ? g.input("target", 1, classes) : g.labels("labels", 1, classes);
        final Node l = mse ? Ops.mseLoss(z, y1) : Ops.crossEntropy(z, y1);
        final List<Node> ps = m.parameters();

        Map<Node, double[]> feed(int n) {
            Map<Node, double[]> f = new HashMap<>();
            f.put(x1, java.util.Arrays.copyOfRange(xs, n * widths[0], (n + 1) * widths[0]));
            f.put(y1, mse ? java.util.Arrays.copyOfRange(ys, n * classes, (n + 1) * classes) : new double[] {ys[n]});
            for (Node p : ps) f.put(p, values.get(p.name()));
            return f;
        }

        double[] flat(Node[] nodes, Map<Node, double[]> f) {
            return evaluateFlat(nodes, f);
        }
    }

    /** The gradient of sample n's own loss, flat, from a batch-of-one graph in float64. */
    double[] sampleGradient(int n) {
        Single s = new Single();
        return s.flat(Autodiff.grad(s.l, s.ps.toArray(new Node[0])), s.feed(n));
    }

    /** The gradient of the batch loss, flat, in float64. */
    double[] batchGradient() {
        return evaluateFlat(Autodiff.grad(loss, params.toArray(new Node[0])), feed());
    }

    /** The nodes' float64 values, one after the other. */
    private double[] evaluateFlat(Node[] nodes, Map<Node, double[]> f) {
        return evaluateFlat(nodes, f, size);
    }

    /** The nodes' float64 values, one after the other, in an array of {@code size}. */
    static double[] evaluateFlat(Node[] nodes, Map<Node, double[]> f, int size) {
        Map<Node, double[]> out = ReferenceInterpreter.evaluate(List.of(nodes), f);
        double[] flat = new double[size];
        int off = 0;
        for (Node node : nodes) {
            double[] v = out.get(node);
            System.arraycopy(v, 0, flat, off, v.length);
            off += v.length;
        }
        return flat;
    }

    /** (1/N) sum_n J_n^T H_n J_n from explicit Jacobians (rows by VJPs of unit cotangents) and explicit H_n. */
    RealMatrix explicitGgn() {
        Single s = new Single();
        RealMatrix sum = new Array2DRowRealMatrix(size, size);
        Node u = s.g.input("u", 1, classes);
        Node[] rows = Autodiff.vjp(s.z, u, s.ps.toArray(new Node[0]));
        for (int n = 0; n < batch; n++) {
            Map<Node, double[]> f = s.feed(n);
            double[][] jac = new double[classes][];
            for (int c = 0; c < classes; c++) {
                double[] e = new double[classes];
                e[c] = 1;
                f.put(u, e);
                jac[c] = s.flat(rows, f);
            }
            double[] z = ReferenceInterpreter.evaluate(s.z, f);
            RealMatrix j = new Array2DRowRealMatrix(jac, false);
            sum = sum.add(j.transpose().multiply(lossHessian(z)).multiply(j));
        }
        return sum.scalarMultiply(1.0 / batch);
    }

    /** Sample n's loss Hessian in its logits, written out: diag(p) - p p^T, or (2/k) I. */
    private RealMatrix lossHessian(double[] z) {
        if (!mse) return crossEntropyHessian(z);
        double[][] h = new double[classes][classes];
        for (int i = 0; i < classes; i++) h[i][i] = 2.0 / classes;
        return new Array2DRowRealMatrix(h, false);
    }

    /** Softmax cross-entropy's Hessian in the logits z, written out: diag(p) - p p^T. */
    static RealMatrix crossEntropyHessian(double[] z) {
        int k = z.length;
        double max = Double.NEGATIVE_INFINITY, total = 0;
        for (double v : z) max = Math.max(max, v);
        double[] p = new double[k];
        for (int i = 0; i < k; i++) total += p[i] = Math.exp(z[i] - max);
        for (int i = 0; i < k; i++) p[i] /= total;
        double[][] h = new double[k][k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) h[i][j] = (i == j ? p[i] : 0) - p[i] * p[j];
        }
        return new Array2DRowRealMatrix(h, false);
    }

    /** The Hessian of the batch loss, column by column from float64 Hessian-vector products with unit vectors. */
    RealMatrix explicitHessian() {
        Node[] ps = params.toArray(new Node[0]);
        Node[] v = new Node[ps.length];
        for (int i = 0; i < ps.length; i++) v[i] = graph.input("hv" + graph.size() + "." + i, ps[i].shape().dims());
        Node[] hv = Autodiff.hvpReverseOverReverse(loss, ps, v);
        RealMatrix h = new Array2DRowRealMatrix(size, size);
        Map<Node, double[]> f = feed();
        for (int j = 0; j < size; j++) {
            int off = 0;
            for (Node vi : v) {
                double[] e = new double[vi.shape().numel()];
                if (j >= off && j < off + e.length) e[j - off] = 1;
                f.put(vi, e);
                off += e.length;
            }
            h.setColumn(j, evaluateFlat(hv, f));
        }
        return h;
    }

    /** (1/N) sum_n g_n g_n^T. */
    RealMatrix explicitEmpiricalFisher() {
        RealMatrix sum = new Array2DRowRealMatrix(size, size);
        for (int n = 0; n < batch; n++) {
            RealMatrix g = new Array2DRowRealMatrix(sampleGradient(n));
            sum = sum.add(g.multiply(g.transpose()));
        }
        return sum.scalarMultiply(1.0 / batch);
    }

    static double[] diagonal(RealMatrix m) {
        double[] d = new double[m.getRowDimension()];
        for (int i = 0; i < d.length; i++) d[i] = m.getEntry(i, i);
        return d;
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    List<Node> parameters() {
        return new ArrayList<>(params);
    }
}
