package org.panagrad.curvature;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.BatchNorm2d;
import org.panagrad.nn.Conv2d;
import org.panagrad.nn.Embedding;
import org.panagrad.nn.Forward;
import org.panagrad.nn.LayerNorm;
import org.panagrad.nn.Linear;
import org.panagrad.nn.MultiheadAttention;
import org.panagrad.nn.PositionalEmbedding;
import org.panagrad.nn.StateEntry;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A small model with every layer the generic per-sample path serves, besides structured Conv2d and Linear calls:
 * a 3x3 convolution of a 4x4 image gives 4 tokens of width 4 through batch norm (eval or training mode) and relu;
 * an embedding of token ids is added; a class token is prepended, a positional embedding added; LayerNorm,
 * multi-head attention (2 heads, fused) with a residual, LayerNorm, the class token's row into a Linear head, and
 * softmax cross-entropy. Values are random and kept in float64 for batch-of-one reference graphs, which give
 * per-sample gradients and the explicit GGN.
 */
final class SmallTransformer {
    static final int SIDE = 4, CHANNELS = 4, TOKENS = 4, VOCAB = 5, CLASSES = 3;

    final int batch;
    final Graph g = new Graph();
    final Forward pass;
    final Node x, ids, labels, logits, loss;
    final List<Node> params = new ArrayList<>();
    final List<Node> state = new ArrayList<>();
    final int size;
    private final Map<String, double[]> values;
    private final double[] xs, idv, ys;

    /** The model on {@code batch} samples, its values drawn from {@code seed}. */
    SmallTransformer(int batch, boolean training, long seed) {
        this(batch, training, draw(seed, batch), null, null, null);
    }

    private SmallTransformer(int batch, boolean training, Object[] drawn, double[] xs, double[] idv, double[] ys) {
        this.batch = batch;
        this.pass = training ? Forward.train() : Forward.eval();
        Model m = build(g, batch, pass);
        x = m.x;
        ids = m.ids;
        labels = m.labels;
        logits = m.logits;
        loss = m.loss;
        for (StateEntry e : m.entries) (e.trainable() ? params : state).add(e.node());
        int s = 0;
        for (Node p : params) s += p.shape().numel();
        size = s;
        @SuppressWarnings("unchecked") Map<String, double[]> v = drawn[0] == null ? null : (Map<String, double[]>) drawn[0];
        this.values = v;
        this.xs = xs != null ? xs : (double[]) drawn[1];
        this.idv = idv != null ? idv : (double[]) drawn[2];
        this.ys = ys != null ? ys : (double[]) drawn[3];
    }

    private record Model(Node x, Node ids, Node labels, Node logits, Node loss, List<StateEntry> entries) {}

    private static Model build(Graph g, int batch, Forward pass) {
        Conv2d conv = Conv2d.create(g, "conv", 1, CHANNELS, 3, 1, 0, true);
        BatchNorm2d bn = BatchNorm2d.create(g, "bn", CHANNELS);
        Embedding emb = Embedding.create(g, "emb", VOCAB, CHANNELS);
        Node cls = g.parameter("class_token", 1, 1, CHANNELS);
        PositionalEmbedding pos = PositionalEmbedding.create(g, "pos", TOKENS + 1, CHANNELS);
        LayerNorm ln1 = LayerNorm.create(g, "ln1", 1e-5, CHANNELS), ln2 = LayerNorm.create(g, "ln2", 1e-5, CHANNELS);
        MultiheadAttention attn = MultiheadAttention.create(g, "attn", CHANNELS, 2, true);
        Linear head = Linear.create(g, "head", CHANNELS, CLASSES);

        Node x = g.input("x", batch, 1, SIDE, SIDE);
        Node ids = g.integers("ids", VOCAB, batch, TOKENS);
        Node labels = g.labels("labels", batch, CLASSES);
        Node h = Ops.relu(bn.forward(conv.forward(x, pass), pass));
        h = Ops.permute(Ops.reshape(h, batch, CHANNELS, TOKENS), 0, 2, 1);
        h = Ops.add(h, emb.forward(ids, pass));
        h = Ops.concat(1, Ops.broadcastTo(cls, batch, 1, CHANNELS), h);
        h = pos.forward(h, pass);
        h = Ops.add(h, attn.forward(ln1.forward(h, pass), pass));
        Node logits = head.forward(Ops.select(ln2.forward(h, pass), 1, 0), pass);
        List<StateEntry> entries = new ArrayList<>();
        entries.addAll(conv.state());
        entries.addAll(bn.state());
        entries.addAll(emb.state());
        entries.add(StateEntry.same("class_token", cls, true));
        entries.addAll(pos.state());
        entries.addAll(ln1.state());
        entries.addAll(attn.state());
        entries.addAll(ln2.state());
        entries.addAll(head.state());
        return new Model(x, ids, labels, logits, Ops.crossEntropy(logits, labels), entries);
    }

    private static Object[] draw(long seed, int batch) {
        Random rnd = new Random(seed);
        Graph scratch = new Graph();
        Model m = build(scratch, batch, Forward.eval());
        Map<String, double[]> v = new HashMap<>();
        for (StateEntry e : m.entries) {
            double[] d = Reference.random(rnd, e.node().shape().numel(), -0.8, 0.8);
            if (e.node().name().endsWith("running_var")) for (int i = 0; i < d.length; i++) d[i] = 0.5 + d[i] * d[i];
            if (e.node().name().endsWith("num_batches_tracked")) d[0] = 3;
            v.put(e.node().name(), d);
        }
        return new Object[] {v, Reference.random(rnd, batch * SIDE * SIDE, -1, 1),
                Reference.randomLabels(rnd, batch * TOKENS, VOCAB), Reference.randomLabels(rnd, batch, CLASSES)};
    }

    ParameterStore store() {
        ParameterStore store = new ParameterStore();
        for (Node p : params) store.set(p, Reference.toFloat(values.get(p.name())));
        for (Node s : state) store.set(s, Reference.toFloat(values.get(s.name())));
        return store;
    }

    void feed(Program program) {
        program.set(x, Reference.toFloat(xs));
        program.setLabels(ids, ints(idv));
        program.setLabels(labels, ints(ys));
    }

    /** The gradient of sample n's loss alone, flat in the parameters' order, from a batch-of-one float64 graph. */
    double[] sampleGradient(int n) {
        SmallTransformer one = single(n);
        Node[] grads = Autodiff.grad(one.loss, one.params.toArray(new Node[0]));
        return SmallMlp.evaluateFlat(grads, one.leaves(), size);
    }

    /**
     * The Gauss-Newton matrix of the mean loss, (1/N) sum_n J_n^T H_n J_n, in float64 without the curvature
     * package: J_n's rows are VJPs of unit cotangents through sample n's batch-of-one graph, and H_n is
     * cross-entropy's Hessian written out at that graph's logits. Eval mode only: in training mode the samples
     * share batch statistics and a batch-of-one graph is another function.
     */
    RealMatrix explicitGgn() {
        if (pass.training()) throw new IllegalStateException("explicitGgn: the model is in training mode; build it with training = false");
        RealMatrix sum = new Array2DRowRealMatrix(size, size);
        for (int n = 0; n < batch; n++) {
            SmallTransformer one = single(n);
            Node u = one.g.input("u", 1, CLASSES);
            Node[] rows = Autodiff.vjp(one.logits, u, one.params.toArray(new Node[0]));
            Map<Node, double[]> f = one.leaves();
            double[][] jacobian = new double[CLASSES][];
            for (int c = 0; c < CLASSES; c++) {
                double[] e = new double[CLASSES];
                e[c] = 1;
                f.put(u, e);
                jacobian[c] = SmallMlp.evaluateFlat(rows, f, size);
            }
            RealMatrix j = new Array2DRowRealMatrix(jacobian, false);
            RealMatrix h = SmallMlp.crossEntropyHessian(ReferenceInterpreter.evaluate(one.logits, f));
            sum = sum.add(j.transpose().multiply(h).multiply(j));
        }
        return sum.scalarMultiply(1.0 / batch);
    }

    /** Sample n alone: a batch-of-one copy of the model over the same values. */
    private SmallTransformer single(int n) {
        int pixels = SIDE * SIDE;
        return new SmallTransformer(1, pass.training(), new Object[] {values, null, null, null},
                Arrays.copyOfRange(xs, n * pixels, (n + 1) * pixels), Arrays.copyOfRange(idv, n * TOKENS, (n + 1) * TOKENS),
                new double[] {ys[n]});
    }

    /** Every leaf's float64 value. */
    Map<Node, double[]> leaves() {
        Map<Node, double[]> f = new HashMap<>();
        for (Node p : params) f.put(p, values.get(p.name()));
        for (Node s : state) f.put(s, values.get(s.name()));
        f.put(x, xs);
        f.put(ids, idv);
        f.put(labels, ys);
        return f;
    }

    private static int[] ints(double[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (int) v[i];
        return r;
    }
}
