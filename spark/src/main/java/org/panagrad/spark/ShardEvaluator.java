package org.panagrad.spark;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.FlatParameters;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Forward;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.ops.StepCounter;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates one model on shards with the engine's compiled programs: the mean loss, its gradient and
 * curvature-vector products over the selected examples, in chunks of at most {@code chunk} examples. One
 * instance holds one graph, one parameter store and the programs compiled so far (one set per chunk size, the
 * last few sizes kept), and is used by one thread at a time: an executor keeps one per task slot
 * ({@link ExecutorModels}); the single-process path ({@link LocalLoss}) uses one for the whole data set.
 * Sums over chunks are kept in double and returned as the float vectors of a {@link Partial}.
 * <p>
 * Those passes use the evaluation-mode graph; {@link #trainingGradient} runs the training-mode graph on one batch
 * (batch statistics, dropout, the running statistics' update), and {@link #readBuffers}/{@link #writeBuffers}
 * move the running statistics, so a trainer can keep its own copy of them.
 */
public final class ShardEvaluator {
    /** Chunk sizes whose programs stay compiled (the full chunk, a shard's last chunk, a sample's...). */
    private static final int KEPT_SIZES = 8;

    private final ModelSpec spec;
    private final String fingerprint;
    private final int chunk;
    private final Graph graph = new Graph();
    private final Classifier model;
    private final ParameterStore store = new ParameterStore();
    private final FlatParameters flat, buffers;
    private final Map<Integer, Training> training = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Training> eldest) {
            return size() > KEPT_SIZES;
        }
    };
    private final Map<Integer, Programs> programs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Programs> eldest) {
            return size() > KEPT_SIZES;
        }
    };
    private final double[] sum;
    private final float[] scratch;
    private float[] gathered;
    private int[] gatheredLabels;

    public ShardEvaluator(ModelSpec spec, int chunk) {
        if (chunk < 1) throw new IllegalArgumentException("the chunk size must be at least 1, got " + chunk);
        this.spec = spec;
        this.fingerprint = Fingerprint.of(spec);
        this.chunk = chunk;
        this.model = ModelZoo.build(spec, graph);
        model.initialize(store, 0);
        this.flat = new FlatParameters(store, model.parameters());
        this.buffers = new FlatParameters(store, model.buffers());
        this.sum = new double[flat.dimension()];
        this.scratch = new float[flat.dimension()];
        this.gathered = new float[chunk * model.inputWidth()];
        this.gatheredLabels = new int[chunk];
    }

    public ModelSpec spec() {
        return spec;
    }

    public String fingerprint() {
        return fingerprint;
    }

    public int dimension() {
        return flat.dimension();
    }

    public Classifier model() {
        return model;
    }

    /** Seeded initial parameters, as a flat vector. */
    public float[] initialParameters(long seed) {
        ParameterStore fresh = new ParameterStore();
        model.initialize(fresh, seed);
        float[] theta = new float[dimension()];
        new FlatParameters(fresh, model.parameters()).read(theta);
        return theta;
    }

    /** Floats of state that training updates besides the parameters (batch norm's running statistics). */
    public int bufferDimension() {
        return buffers.dimension();
    }

    /** Seeded initial buffers (the running statistics a fresh model starts from), as a flat vector. */
    public float[] initialBuffers(long seed) {
        ParameterStore fresh = new ParameterStore();
        model.initialize(fresh, seed);
        float[] b = new float[bufferDimension()];
        new FlatParameters(fresh, model.buffers()).read(b);
        return b;
    }

    /** Copies the store's buffers into {@code out}. */
    public void readBuffers(float[] out) {
        buffers.read(out);
    }

    /** Sets the buffers, which the evaluation-mode passes read (batch norm's running statistics). */
    public void writeBuffers(float[] in) {
        if (in.length != bufferDimension()) {
            throw new IllegalArgumentException(spec + " has " + bufferDimension() + " buffer floats, got " + in.length);
        }
        buffers.write(in);
    }

    /**
     * One training step's gradient on the training-mode graph: the selected examples as ONE batch (batch norm's
     * statistics are this batch's, whatever the chunk size), dropout masks keyed on {@code maskKey} (the graph's
     * {@link StepCounter}), and the running statistics in the store updated once from this batch. Adds the loss
     * sum, count and gradient sum to {@code out}.
     */
    public void trainingGradient(Shard shard, Selection selection, long maskKey, Partial out) {
        checkWidth(shard);
        int[] rows = selection.rows(shard.start(), shard.count());
        int n = rows == null ? shard.count() : rows.length;
        if (n == 0) return;
        Training t = training.computeIfAbsent(n, Training::new);
        Node counter = StepCounter.find(graph);
        if (counter != null) store.get(counter)[0] = maskKey;
        feed(t.program, t.x, t.y, shard, rows, 0, n);
        t.program.run();
        int off = 0;
        for (Node g : t.grads) {
            t.program.readInto(g, scratch, off);
            off += g.shape().numel();
        }
        float[] s = new float[scratch.length];
        for (int i = 0; i < s.length; i++) s[i] = n * scratch[i];
        Partial p = withVector(s);
        p.lossSum = (double) n * t.program.scalar(t.loss);
        p.count = n;
        out.merge(p);
    }

    /** Copies theta into the store (a copy of 1.6 MB for 784-500-10 is a fraction of a millisecond). */
    public void setParameters(float[] theta) {
        if (theta.length != dimension()) {
            throw new IllegalArgumentException(spec + " has " + dimension() + " parameters, got a vector of " + theta.length);
        }
        flat.write(theta);
    }

    /** What one pass over a chunk computes. */
    private enum Pass { LOSS, GRADIENT, CURVATURE }

    /** Adds the selected examples' loss sum and count to {@code out}. */
    public void loss(Shard shard, Selection selection, Partial out) {
        run(shard, selection, Pass.LOSS, null, null, out);
    }

    /** Adds the selected examples' loss sum, count and gradient sum (count times the mean gradient) to {@code out}. */
    public void lossAndGradient(Shard shard, Selection selection, Partial out) {
        run(shard, selection, Pass.GRADIENT, null, null, out);
    }

    /** Adds the count and the sum of per-chunk products, weighted by chunk size, to {@code out}: C v times count. */
    public void curvature(Shard shard, Selection selection, CurvatureProduct.Kind kind, float[] v, Partial out) {
        run(shard, selection, Pass.CURVATURE, kind, v, out);
    }

    /** The number of the shard's examples whose largest logit is at their label. */
    public int correct(Shard shard) {
        int classes = model.classes(), right = 0;
        float[] logits = new float[chunk * classes];
        for (int from = 0; from < shard.count(); from += chunk) {
            int m = Math.min(chunk, shard.count() - from);
            Programs p = programsFor(m);
            Program program = p.forward();
            program.set(p.x, shard.features(), from * shard.width());
            program.run();
            program.readInto(p.logits, logits, 0);
            for (int i = 0; i < m; i++) {
                int best = 0;
                for (int c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
                if (best == shard.labels()[from + i]) right++;
            }
        }
        return right;
    }

    private void checkWidth(Shard shard) {
        if (shard.width() != model.inputWidth()) {
            throw new IllegalArgumentException(shard.describe() + " has rows of " + shard.width() + " features, but "
                    + spec + " takes " + model.inputWidth());
        }
    }

    private void run(Shard shard, Selection selection, Pass pass, CurvatureProduct.Kind kind, float[] v, Partial out) {
        checkWidth(shard);
        int[] rows = selection.rows(shard.start(), shard.count());
        int n = rows == null ? shard.count() : rows.length;
        if (n == 0) return;
        boolean vector = pass != Pass.LOSS;
        if (vector) java.util.Arrays.fill(sum, 0);
        double lossSum = 0;
        for (int from = 0; from < n; from += chunk) {
            int m = Math.min(chunk, n - from);
            Programs p = programsFor(m);
            Program program = pass == Pass.LOSS ? p.lossOnly()
                    : pass == Pass.GRADIENT ? p.gradient() : p.curvature(kind).program();
            feed(program, p.x, p.y, shard, rows, from, m);
            if (pass == Pass.CURVATURE) {
                p.curvature(kind).apply(v, scratch);
            } else {
                program.run();
                lossSum += (double) m * program.scalar(p.loss);
                if (pass == Pass.GRADIENT) {
                    int off = 0;
                    for (Node g : p.grads) {
                        program.readInto(g, scratch, off);
                        off += g.shape().numel();
                    }
                }
            }
            if (vector) for (int i = 0; i < sum.length; i++) sum[i] += (double) m * scratch[i];
        }
        out.lossSum += lossSum;
        out.count += n;
        if (vector) {
            float[] s = new float[sum.length];
            for (int i = 0; i < s.length; i++) s[i] = (float) sum[i];
            out.merge(withVector(s));
        }
    }

    private static Partial withVector(float[] v) {
        Partial p = Partial.zero();
        p.vector = v;
        return p;
    }

    private void feed(Program program, Node x, Node y, Shard shard, int[] rows, int from, int m) {
        int width = shard.width();
        if (rows == null) {
            program.set(x, shard.features(), from * width);
            program.setLabels(y, shard.labels(), from);
            return;
        }
        if (gatheredLabels.length < m) { // a training batch larger than the chunk
            gathered = new float[m * width];
            gatheredLabels = new int[m];
        }
        for (int i = 0; i < m; i++) {
            int r = rows[from + i];
            System.arraycopy(shard.features(), r * width, gathered, i * width, width);
            gatheredLabels[i] = shard.labels()[r];
        }
        program.set(x, gathered, 0);
        program.setLabels(y, gatheredLabels, 0);
    }

    private Programs programsFor(int m) {
        return programs.computeIfAbsent(m, size -> {
            Node x = model.input(graph, "x" + graph.size(), size);
            Node y = graph.labels("y" + graph.size(), size, model.classes());
            Node logits = model.logits(x);
            return new Programs(x, y, logits, SoftmaxCrossEntropy.of(logits, y));
        });
    }

    /** The training-mode program of one batch size: loss, gradients and the running statistics' updates. */
    private final class Training {
        final Node x, y, loss;
        final Node[] grads;
        final Program program;

        Training(int size) {
            x = model.input(graph, "train.x" + graph.size(), size);
            y = graph.labels("train.y" + graph.size(), size, model.classes());
            Forward pass = Forward.train();
            loss = SoftmaxCrossEntropy.of(model.logits(x, pass), y);
            grads = Autodiff.grad(loss, model.parameters().toArray(new Node[0]));
            List<Node> outputs = new ArrayList<>(List.of(loss));
            outputs.addAll(List.of(grads));
            outputs.addAll(pass.stateUpdates());
            program = Compiler.compile(store, outputs);
        }
    }

    /** The programs of one chunk size, each compiled when first needed. */
    private final class Programs {
        final Node x, y, logits, loss;
        Node[] grads;
        private Program gradient, lossOnly, forward;
        private final Map<CurvatureProduct.Kind, CurvatureProduct> curvature = new java.util.EnumMap<>(CurvatureProduct.Kind.class);

        Programs(Node x, Node y, Node logits, Node loss) {
            this.x = x;
            this.y = y;
            this.logits = logits;
            this.loss = loss;
        }

        Program forward() {
            if (forward == null) forward = Compiler.compile(store, List.of(logits));
            return forward;
        }

        Program gradient() {
            if (gradient == null) {
                grads = Autodiff.grad(loss, model.parameters().toArray(new Node[0]));
                List<Node> outputs = new ArrayList<>(List.of(loss));
                outputs.addAll(List.of(grads));
                gradient = Compiler.compile(store, outputs);
            }
            return gradient;
        }

        Program lossOnly() {
            if (lossOnly == null) lossOnly = Compiler.compile(store, List.of(loss));
            return lossOnly;
        }

        CurvatureProduct curvature(CurvatureProduct.Kind kind) {
            return curvature.computeIfAbsent(kind, k -> CurvatureProduct.compile(store, loss, model.parameters(), k, false));
        }
    }
}
