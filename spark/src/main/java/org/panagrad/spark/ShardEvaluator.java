package org.panagrad.spark;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.FlatParameters;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.SoftmaxCrossEntropy;
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
    private final FlatParameters flat;
    private final Map<Integer, Programs> programs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Programs> eldest) {
            return size() > KEPT_SIZES;
        }
    };
    private final double[] sum;
    private final float[] scratch;
    private final float[] gathered;
    private final int[] gatheredLabels;

    public ShardEvaluator(ModelSpec spec, int chunk) {
        if (chunk < 1) throw new IllegalArgumentException("the chunk size must be at least 1, got " + chunk);
        this.spec = spec;
        this.fingerprint = Fingerprint.of(spec);
        this.chunk = chunk;
        this.model = ModelZoo.build(spec, graph);
        model.initialize(store, 0);
        this.flat = new FlatParameters(store, model.parameters());
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

    private void run(Shard shard, Selection selection, Pass pass, CurvatureProduct.Kind kind, float[] v, Partial out) {
        if (shard.width() != model.inputWidth()) {
            throw new IllegalArgumentException(shard.describe() + " has rows of " + shard.width() + " features, but "
                    + spec + " takes " + model.inputWidth());
        }
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
            feed(program, p, shard, rows, from, m);
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

    private void feed(Program program, Programs p, Shard shard, int[] rows, int from, int m) {
        int width = shard.width();
        if (rows == null) {
            program.set(p.x, shard.features(), from * width);
            program.setLabels(p.y, shard.labels(), from);
            return;
        }
        for (int i = 0; i < m; i++) {
            int r = rows[from + i];
            System.arraycopy(shard.features(), r * width, gathered, i * width, width);
            gatheredLabels[i] = shard.labels()[r];
        }
        program.set(p.x, gathered, 0);
        program.setLabels(p.y, gatheredLabels, 0);
    }

    private Programs programsFor(int m) {
        return programs.computeIfAbsent(m, size -> {
            Node x = model.input(graph, "x" + graph.size(), size);
            Node y = graph.labels("y" + graph.size(), size, model.classes());
            Node logits = model.logits(x);
            return new Programs(x, y, logits, SoftmaxCrossEntropy.of(logits, y));
        });
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
