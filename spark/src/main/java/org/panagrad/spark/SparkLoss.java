package org.panagrad.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.panagrad.analysis.CurvatureProduct;

import java.io.Serializable;

/**
 * The distributed {@link DatasetLoss}: every operation is one Spark job over the cached shards. The parameters
 * (and the vector of a curvature product) travel to the executors as broadcasts; each task evaluates its
 * partition with the executor's cached compiled programs ({@link ExecutorModels}) and returns a {@link Partial};
 * {@code treeAggregate} combines the partials over {@code treeDepth} levels, and the driver divides by the count.
 * A failing partition fails the call with a {@link DistributedException} carrying the executor's message.
 */
public final class SparkLoss implements DatasetLoss {

    /**
     * @param chunk           examples per program run on an executor
     * @param treeDepth       levels of treeAggregate (2: Spark's default; 1: every partial straight to the driver)
     * @param executorThreads the kernels' threads per task (1 when every core runs a task)
     */
    public record Settings(int chunk, int treeDepth, int executorThreads) implements Serializable {
        public Settings {
            if (chunk < 1) throw new IllegalArgumentException("--chunk must be at least 1, got " + chunk);
            if (treeDepth < 1) throw new IllegalArgumentException("--tree-depth must be at least 1, got " + treeDepth);
            if (executorThreads < 1) {
                throw new IllegalArgumentException("--executor-threads must be at least 1, got " + executorThreads);
            }
        }

        public static Settings defaults() {
            return new Settings(1000, 2, 1);
        }
    }

    /** What a task does with its evaluator and shard. */
    @FunctionalInterface
    interface ShardTask extends Serializable {
        void run(ShardEvaluator evaluator, Shard shard, Partial into);
    }

    private final JavaSparkContext sc;
    private final JavaRDD<Shard> shards;
    private final ModelSpec spec;
    private final String fingerprint;
    private final Settings settings;
    private final ShardEvaluator driverModel;
    /** The running statistics every job's evaluator reads, or null for the model's initial ones. */
    private float[] buffers;

    public SparkLoss(JavaSparkContext sc, JavaRDD<Shard> shards, ModelSpec spec, Settings settings) {
        this(sc, shards, spec, settings, Fingerprint.of(spec));
    }

    /** With a given driver fingerprint: for tests of the executors' check. */
    SparkLoss(JavaSparkContext sc, JavaRDD<Shard> shards, ModelSpec spec, Settings settings, String fingerprint) {
        this.sc = sc;
        this.shards = shards;
        this.spec = spec;
        this.settings = settings;
        this.fingerprint = fingerprint;
        this.driverModel = new ShardEvaluator(spec, 1);
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    public String fingerprint() {
        return fingerprint;
    }

    public Settings settings() {
        return settings;
    }

    public JavaSparkContext context() {
        return sc;
    }

    public JavaRDD<Shard> shards() {
        return shards;
    }

    @Override
    public int dimension() {
        return driverModel.dimension();
    }

    @Override
    public float[] initialParameters(long seed) {
        return driverModel.initialParameters(seed);
    }

    @Override
    public float[] initialBuffers(long seed) {
        return driverModel.initialBuffers(seed);
    }

    /** Shipped with every job (a few hundred floats for ResNet-8) and written into the executors' evaluators. */
    @Override
    public void setBuffers(float[] buffers) {
        if (buffers.length != driverModel.bufferDimension()) {
            throw new IllegalArgumentException(spec + " has " + driverModel.bufferDimension() + " buffer floats, got " + buffers.length);
        }
        this.buffers = buffers.clone();
    }

    @Override
    public double loss(float[] theta, Selection selection) {
        Broadcast<float[]> b = sc.broadcast(theta.clone());
        try {
            Partial p = aggregate(b, (e, s, into) -> e.loss(s, selection, into));
            return LocalLoss.mean(p, selection);
        } finally {
            b.destroy();
        }
    }

    @Override
    public double lossAndGradient(float[] theta, Selection selection, float[] gradient) {
        Broadcast<float[]> b = sc.broadcast(theta.clone());
        try {
            Partial p = aggregate(b, (e, s, into) -> e.lossAndGradient(s, selection, into));
            double loss = LocalLoss.mean(p, selection);
            LocalLoss.divide(p, gradient);
            return loss;
        } finally {
            b.destroy();
        }
    }

    /** The sum over the selection of the per-example loss gradients, unscaled, and the count: data-parallel SGD's step. */
    Partial gradientSum(float[] theta, Selection selection) {
        Broadcast<float[]> b = sc.broadcast(theta.clone());
        try {
            return aggregate(b, (e, s, into) -> e.lossAndGradient(s, selection, into));
        } finally {
            b.destroy();
        }
    }

    @Override
    public Curvature curvature(float[] theta, Selection selection, CurvatureProduct.Kind kind) {
        Broadcast<float[]> point = sc.broadcast(theta.clone());
        int n = dimension();
        return new Curvature() {
            @Override
            public int dimension() {
                return n;
            }

            @Override
            public void apply(float[] v, float[] out) {
                Broadcast<float[]> vector = sc.broadcast(v.clone());
                try {
                    Partial p = aggregate(point, (e, s, into) -> e.curvature(s, selection, kind, vector.value(), into));
                    LocalLoss.mean(p, selection);
                    LocalLoss.divide(p, out);
                } finally {
                    vector.destroy();
                }
            }

            @Override
            public void close() {
                point.destroy();
            }
        };
    }

    /**
     * A job that computes nothing: each partition returns an empty partial ({@code withVector} false) or a
     * parameter-sized vector of zeros, so that treeAggregate combines as many floats as a gradient job. Timing it
     * measures Spark's fixed cost per job and the aggregation's cost, the two terms of the cost model besides compute.
     */
    public void emptyJob(boolean withVector) {
        int n = dimension();
        aggregate((e, s, into) -> {
            if (withVector) {
                Partial p = Partial.zero();
                p.vector = new float[n];
                into.merge(p);
            }
        });
    }

    /** Each partition's first global index and size, in partition order (one small job). */
    public long[][] layout() {
        java.util.List<long[]> rows = Failures.rethrowingExecutorMessage(
                () -> shards.map(s -> new long[] {s.partition(), s.start(), s.count()}).collect());
        long[][] out = new long[2][rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            out[0][i] = rows.get(i)[1];
            out[1][i] = rows.get(i)[2];
        }
        return out;
    }

    /** One job: every partition's partial under the parameters {@code theta}, combined by treeAggregate. */
    Partial aggregate(Broadcast<float[]> theta, ShardTask task) {
        return aggregate((e, s, into) -> {
            e.setParameters(theta.value());
            task.run(e, s, into);
        });
    }

    /** One job: every partition's partial, combined by treeAggregate; the task sets the parameters itself. */
    Partial aggregate(ShardTask task) {
        ModelSpec spec = this.spec;
        String fingerprint = this.fingerprint;
        Settings settings = this.settings;
        float[] buffers = this.buffers;
        ShardTask withBuffers = buffers == null ? task : (e, shard, into) -> {
            float[] before = new float[e.bufferDimension()];
            e.readBuffers(before);
            e.writeBuffers(buffers);
            try {
                task.run(e, shard, into);
            } finally {
                e.writeBuffers(before); // the cached evaluator is shared by every job of this JVM
            }
        };
        return Failures.rethrowingExecutorMessage(() -> shards.treeAggregate(Partial.zero(),
                (acc, shard) -> evaluate(spec, fingerprint, settings, withBuffers, shard, acc),
                Partial::merge, settings.treeDepth()));
    }

    private static Partial evaluate(ModelSpec spec, String fingerprint, Settings settings,
                                    ShardTask task, Shard shard, Partial acc) {
        try {
            return ExecutorModels.with(spec, fingerprint, settings.chunk(), settings.executorThreads(), e -> {
                task.run(e, shard, acc);
                return acc;
            });
        } catch (RuntimeException e) {
            throw new ShardException(shard.describe() + ": " + e.getMessage(), e);
        }
    }
}
