package org.panagrad.curvature;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.nn.LayerCall;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

/** A small tanh MLP classifier on seeded data, with its exact Gauss-Newton matrix as an explicit reference. */
final class SmallClassifier {
    final Graph graph = new Graph();
    final ParameterStore store = new ParameterStore();
    final Mlp mlp;
    final Node x, labels, logits, loss;
    final List<LayerCall> layers;
    final float[] images;
    final int[] classes;
    final int batch, inputs, outputs;

    SmallClassifier(long seed, int batch, int... widths) {
        this.batch = batch;
        this.inputs = widths[0];
        this.outputs = widths[widths.length - 1];
        mlp = Mlp.create(graph, Activation.TANH, widths);
        mlp.initialize(store, Init.TORCH_DEFAULT, seed);
        x = graph.input("x", batch, inputs);
        labels = graph.labels("y", batch, outputs);
        Forward f = Forward.eval();
        logits = mlp.forward(x, f);
        layers = f.layerCalls();
        loss = Ops.crossEntropy(logits, labels);
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        images = new float[batch * inputs];
        for (int i = 0; i < images.length; i++) images[i] = (float) (2 * rnd.nextDouble() - 1);
        classes = new int[batch];
        for (int i = 0; i < batch; i++) classes[i] = rnd.nextInt(outputs);
    }

    int size() {
        return (int) mlp.parameterCount();
    }

    LayerBackprop backprop(LayerBackprop.Vectors vectors, String method, boolean factors, boolean perExample) {
        LayerBackprop b = LayerBackprop.compile(store, logits, layers, vectors, method, factors, perExample);
        b.program().set(x, images);
        return b;
    }

    /** The Gauss-Newton matrix of the mean loss, column by column from the compiled product. */
    double[][] ggn() {
        CurvatureProduct ggn = CurvatureProduct.compile(store, loss, mlp.parameters(), CurvatureProduct.Kind.GAUSS_NEWTON);
        ggn.program().set(x, images);
        ggn.program().setLabels(labels, classes);
        return explicit(ggn);
    }

    static double[][] explicit(LinearOperator op) {
        int n = op.dimension();
        double[][] m = new double[n][n];
        float[] e = new float[n], col = new float[n];
        for (int j = 0; j < n; j++) {
            e[j] = 1;
            op.apply(e, col);
            e[j] = 0;
            for (int i = 0; i < n; i++) m[i][j] = col[i];
        }
        return m;
    }

    /** m with the entries outside the per-layer diagonal blocks zeroed. */
    double[][] layerBlocks(double[][] m) {
        int[] layerOf = new int[m.length];
        int off = 0;
        for (int l = 0; l < layers.size(); l++) {
            int size = (int) (layers.get(l).layer().state().stream().mapToLong(s -> s.node().shape().numel()).sum());
            for (int i = 0; i < size; i++) layerOf[off + i] = l;
            off += size;
        }
        double[][] out = new double[m.length][m.length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m.length; j++) if (layerOf[i] == layerOf[j]) out[i][j] = m[i][j];
        }
        return out;
    }

    static double frobenius(double[][] a, double[][] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a.length; j++) s += (a[i][j] - b[i][j]) * (a[i][j] - b[i][j]);
        return Math.sqrt(s);
    }

    static double maxAbs(double[][] a) {
        double s = 0;
        for (double[] row : a) for (double v : row) s = Math.max(s, Math.abs(v));
        return s;
    }

    /** Factors over one run of the backprop. */
    static KroneckerCurvature kronecker(LayerBackprop b, String method) {
        b.run(new SplittableRandom(5));
        KroneckerFactors f = new KroneckerFactors(b, method);
        f.add(b, b.batch());
        return f.curvature();
    }
}
