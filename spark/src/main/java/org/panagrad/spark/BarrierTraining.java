package org.panagrad.spark;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.storage.StorageLevel;
import scala.reflect.ClassTag;
import scala.runtime.AbstractFunction1;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Synchronous data-parallel training in one Spark barrier stage instead of one job per step. Every task holds
 * its shards and an executor's compiled model for the whole run; each step it computes the gradient sum over
 * its shards' slices of the global batch ({@link StratifiedBatches}), the tasks sum their partials among
 * themselves ({@link AllReduce}, direct TCP between the tasks), and every task applies the same update
 * ({@link FlatUpdate}) to its own copy of the parameters. Step for step this is {@link SynchronousTraining},
 * hence single-process training at the global batch size, up to the order of the float sums. The driver gets the
 * final parameters and optimizer state, and every step's mean loss.
 * <p>
 * Steps run the model's training-mode graph, as PyTorch's DistributedDataParallel without SyncBatchNorm does:
 * batch norm normalises each partition's slice of the global batch with that slice's statistics, and each
 * partition keeps its own running statistics, updated by its slices (a task holding several partitions keeps one
 * copy per partition, so the result does not depend on the grouping); at the end of every epoch and at the end of
 * the stage the tasks average them over the partitions (an all-reduce) and every partition goes on from the
 * average, which the driver gets with the parameters. So a run split into stages at epoch boundaries equals one
 * stage over the whole run bit for bit, and a stage may span many epochs, paying the stage's start-up once. (In
 * training mode the running statistics do not feed back into the steps and their update is linear in them, so
 * where the averaging happens changes them only by rounding; averaging at every epoch end keeps that rounding
 * independent of the stages.) Dropout masks
 * are keyed on (step, partition), so they differ across partitions and steps. For a model without batch norm or
 * dropout (an MLP) this is the evaluation-mode gradient, hence {@link SynchronousTraining}'s trajectory.
 * <p>
 * A barrier stage starts all its tasks at once, so it needs a task slot per task: with more partitions than
 * slots ({@code defaultParallelism}) the shards are grouped (coalesced, no shuffle) into as many tasks as slots;
 * the batches, hence the trajectory, stay those of the partitions.
 * A task that throws tells the others, and the job fails with its message ({@link DistributedException}).
 */
public final class BarrierTraining {
    /**
     * What the driver gets back: the state after the last step, each step's mean loss before its update, and
     * where task 0's time went over the run, in seconds: the cost model's terms. {@code setupSeconds} runs from the
     * task's start to its first step (its shards, the connections to the other tasks, the cached model);
     * {@code compute}, {@code exchange} and {@code update} sum its steps' gradients, all-reduces (including
     * waiting for the slowest task) and updates; the averaging of the running statistics at epoch ends counts
     * with the exchange.
     */
    public record Result(float[] parameters, float[] buffers, FlatUpdate update, double[] losses, double setupSeconds,
                         double computeSeconds, double exchangeSeconds, double updateSeconds) implements Serializable {
        /** The mean of the losses of steps [from, to) of this run. */
        public double meanLoss(int from, int to) {
            double s = 0;
            for (int i = from; i < to; i++) s += losses[i];
            return s / (to - from);
        }
    }

    /** Everything a task needs, shipped once with the stage. */
    private record Plan(ModelSpec spec, String fingerprint, SparkLoss.Settings settings, StratifiedBatches batches,
                        float[] theta, float[] buffers, FlatUpdate update, long firstStep, int steps, String rendezvous,
                        EpochReports.Ticket reports)
            implements Serializable {
    }

    /** Dropout's step counter is a float, exact to 2^24: keys wrap there, so masks repeat after 16.7 million slices. */
    private static final long MASK_KEYS = 1L << 24;

    /** The dropout mask key of a partition's slice at a step: distinct across partitions and steps. */
    static long maskKey(long step, int partition, int partitions) {
        return Math.floorMod(step * partitions + partition, MASK_KEYS);
    }

    private final SparkLoss loss;
    private final StratifiedBatches batches;
    private final JavaRDD<Shard> grouped;

    /**
     * Training on the loss's shards with these batches. With more partitions than task slots, the shards are
     * grouped here once, cached and cut from their lineage (a barrier stage refuses a coalesce among its ancestors).
     */
    public BarrierTraining(SparkLoss loss, StratifiedBatches batches) {
        JavaRDD<Shard> shards = loss.shards();
        if (batches.partitions() != shards.getNumPartitions()) {
            throw new IllegalArgumentException("the batches cover " + batches.partitions() + " partitions, the data set has "
                    + shards.getNumPartitions());
        }
        this.loss = loss;
        this.batches = batches;
        int tasks = Math.min(shards.getNumPartitions(), loss.context().defaultParallelism());
        if (tasks < shards.getNumPartitions()) {
            grouped = shards.coalesce(tasks).persist(StorageLevel.MEMORY_ONLY());
            grouped.rdd().localCheckpoint();
            Failures.rethrowingExecutorMessage(grouped::count);
        } else {
            grouped = shards;
        }
    }

    /** The number of barrier tasks: one per partition, or one per task slot when there are fewer slots. */
    public int tasks() {
        return grouped.getNumPartitions();
    }

    /**
     * Runs steps [firstStep, firstStep + steps) of synchronous training from theta, the running statistics
     * ({@code buffers}, empty for a model without batch norm) and the update's state (none is changed), as one
     * barrier stage.
     */
    public Result run(FlatUpdate update, float[] theta, float[] buffers, long firstStep, int steps) {
        return run(update, theta, buffers, firstStep, steps, null);
    }

    /**
     * The same, and at every epoch end inside the stage (not at its last step, which the result covers) the state
     * there and the epoch's step losses go to {@code epochEnds} on the driver while the stage runs
     * ({@link EpochReports}); null sends none.
     */
    public Result run(FlatUpdate update, float[] theta, float[] buffers, long firstStep, int steps,
                      BiConsumer<EpochStages.State, double[]> epochEnds) {
        if (steps < 1) throw new IllegalArgumentException("synchronous training needs at least 1 step, got " + steps);
        if (theta.length != loss.dimension()) {
            throw new IllegalArgumentException(loss.spec() + " has " + loss.dimension() + " parameters, got a vector of " + theta.length);
        }
        if (buffers.length > theta.length) { // they travel in the all-reduce's frame of theta's length
            throw new IllegalArgumentException(loss.spec() + ": " + buffers.length + " buffer floats exceed its " + theta.length + " parameters");
        }
        SparkConf conf = loss.context().getConf();
        String host = conf.get("spark.driver.host");
        List<Result> results;
        String bind = conf.get("spark.driver.bindAddress", host);
        try (Rendezvous meeting = Rendezvous.open(bind, host, tasks());
             EpochReports reports = epochEnds == null ? null : EpochReports.open(bind, host, r -> epochEnds.accept(
                     new EpochStages.State(r.epochsDone(), r.parameters(), r.buffers(), r.update()), r.losses()))) {
            Plan plan = new Plan(loss.spec(), loss.fingerprint(), loss.settings(), batches, theta.clone(), buffers.clone(),
                    update.copy(), firstStep, steps, meeting.address(), reports == null ? null : reports.ticket());
            ClassTag<Result> tag = scala.reflect.ClassTag$.MODULE$.apply(Result.class);
            RDD<Result> stage = grouped.rdd().barrier().mapPartitions(new Task(plan), false, tag);
            try {
                results = Failures.rethrowingExecutorMessage(() -> JavaRDD.fromRDD(stage, tag).collect());
            } catch (RuntimeException stageFailed) {
                if (reports != null) { // the driver's own failure, when it caused the stage's, is the one to report
                    reports.close(); // stops the reading and waits for a report being handled: the latest state is then known
                    reports.rethrowDriverFailure();
                }
                throw stageFailed;
            }
            if (reports != null) reports.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (results.size() != 1) throw new IllegalStateException("expected the first task's result, got " + results.size());
        return results.get(0);
    }

    /** The barrier stage's function: trains on this task's shards and returns the result from task 0. */
    private static final class Task extends AbstractFunction1<scala.collection.Iterator<Shard>, scala.collection.Iterator<Result>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Plan plan;

        Task(Plan plan) {
            this.plan = plan;
        }

        @Override
        public scala.collection.Iterator<Result> apply(scala.collection.Iterator<Shard> input) {
            long started = System.nanoTime();
            List<Shard> mine = new ArrayList<>(scala.jdk.javaapi.CollectionConverters.asJava(input.toSeq()));
            mine.sort(Comparator.comparingInt(Shard::partition));
            BarrierTaskContext ctx = BarrierTaskContext.get();
            int rank = ctx.partitionId(), tasks = ctx.getTaskInfos().length;
            String host = SparkEnv.get().blockManager().blockManagerId().host();
            Result result;
            try (AllReduce net = AllReduce.connect(rank, tasks, plan.theta().length, host,
                    address -> Rendezvous.gather(plan.rendezvous(), rank, address));
                 EpochReports.Sender reports = rank == 0 && plan.reports() != null ? new EpochReports.Sender(plan.reports()) : null) {
                try {
                    result = ExecutorModels.with(plan.spec(), plan.fingerprint(), plan.settings().chunk(),
                            plan.settings().executorThreads(), e -> train(e, mine, net, reports, started));
                } catch (ShardException | UncheckedIOException told) {
                    throw told; // the others know already: a failed task told them, or the connection broke
                } catch (RuntimeException failure) { // before the first step (a fingerprint mismatch) or between steps
                    String message = "task " + rank + " of the barrier stage (" + describe(mine) + "): " + failure.getMessage();
                    net.fail(message);
                    throw new ShardException(message, failure);
                }
            } catch (IOException | UncheckedIOException e) {
                Throwable io = e instanceof UncheckedIOException u ? u.getCause() : e;
                throw new ShardException("task " + rank + " of the barrier stage (" + describe(mine) + "): " + io.getMessage(), e);
            }
            List<Result> out = rank == 0 ? List.of(result) : Collections.emptyList();
            return scala.jdk.javaapi.CollectionConverters.asScala(out.iterator());
        }

        /** Trains this task's shards; {@code reports} (task 0's, else null) gets the state at each epoch end inside the stage. */
        private Result train(ShardEvaluator e, List<Shard> mine, AllReduce net, EpochReports.Sender reports, long started) {
            int n = plan.theta().length;
            StratifiedBatches batches = plan.batches();
            float[] theta = plan.theta().clone(), g = new float[n], zero = new float[n];
            float[][] buffers = new float[mine.size()][];
            for (int k = 0; k < mine.size(); k++) buffers[k] = plan.buffers().clone();
            float[] initial = new float[e.bufferDimension()];
            e.readBuffers(initial);
            FlatUpdate update = plan.update().copy();
            double[] losses = new double[plan.steps()];
            int[][] permutations = new int[mine.size()][];
            long[][] slices = new long[mine.size()][];
            for (int k = 0; k < mine.size(); k++) slices[k] = new long[batches.share(mine.get(k).partition())];
            long cachedEpoch = -1, compute = 0, exchange = 0, updating = 0, setup = System.nanoTime() - started;
            try {
                for (int i = 0; i < plan.steps(); i++) {
                    long t0 = System.nanoTime();
                    long step = plan.firstStep() + i, epoch = step / batches.stepsPerEpoch();
                    int inEpoch = (int) (step % batches.stepsPerEpoch());
                    Partial p = Partial.zero();
                    Shard at = null;
                    try {
                        e.setParameters(theta);
                        for (int k = 0; k < mine.size(); k++) {
                            at = mine.get(k);
                            if (epoch != cachedEpoch) {
                                permutations[k] = StratifiedBatches.localPermutation(batches.seed(), epoch, at.partition(), at.count());
                            }
                            StratifiedBatches.slice(at.start(), permutations[k], inEpoch, slices[k].length, slices[k], 0);
                            e.writeBuffers(buffers[k]);
                            e.trainingGradient(at, Selection.indices(slices[k]), maskKey(step, at.partition(), batches.partitions()), p);
                            e.readBuffers(buffers[k]);
                        }
                        cachedEpoch = epoch;
                    } catch (RuntimeException failure) {
                        String message = (at == null ? describe(mine) : at.describe()) + ": " + failure.getMessage();
                        net.fail(message);
                        throw new ShardException(message, failure);
                    }
                    long t1 = System.nanoTime();
                    try {
                        net.sum(p.lossSum, p.count, p.vector() == null ? zero : p.vector(), g);
                    } catch (IOException io) {
                        throw new UncheckedIOException(io);
                    }
                    long t2 = System.nanoTime();
                    if (net.count() == 0) throw new IllegalStateException("global batch " + step + " holds no example");
                    float scale = 1f / net.count();
                    for (int j = 0; j < n; j++) g[j] *= scale;
                    losses[i] = net.lossSum() / net.count();
                    update.apply(theta, g);
                    long t3 = System.nanoTime();
                    boolean epochEnds = (step + 1) % batches.stepsPerEpoch() == 0;
                    if (epochEnds && i + 1 < plan.steps()) { // the stage's end averages below, and its result is the report
                        float[] mean = new float[0];
                        if (plan.buffers().length > 0) {
                            mean = averageBuffers(buffers, plan.buffers().length, net);
                            for (float[] partition : buffers) System.arraycopy(mean, 0, partition, 0, mean.length);
                        }
                        if (reports != null) {
                            int from = Math.max(0, i + 1 - batches.stepsPerEpoch());
                            try {
                                reports.send(new EpochReports.Report((int) ((step + 1) / batches.stepsPerEpoch()), theta.clone(), mean,
                                        update.copy(), java.util.Arrays.copyOfRange(losses, from, i + 1)));
                            } catch (UncheckedIOException lost) { // the others learn it from us, not from a broken connection
                                String message = "task 0 of the barrier stage (" + describe(mine) + "): " + lost.getCause().getMessage();
                                net.fail(message);
                                throw new ShardException(message, lost);
                            }
                        }
                    }
                    compute += t1 - t0;
                    exchange += t2 - t1 + System.nanoTime() - t3;
                    updating += t3 - t2;
                }
            } finally {
                e.writeBuffers(initial); // the cached evaluator's evaluation passes keep seeing what they saw before
            }
            return new Result(theta, averageBuffers(buffers, plan.buffers().length, net), update, losses, setup / 1e9, compute / 1e9,
                    exchange / 1e9, updating / 1e9);
        }

        /** The partitions' running statistics averaged over all partitions, the same on every task. */
        private float[] averageBuffers(float[][] buffers, int b, AllReduce net) {
            float[] sum = new float[plan.theta().length], all = new float[sum.length];
            for (float[] mine : buffers) for (int i = 0; i < b; i++) sum[i] += mine[i];
            try {
                net.sum(0, buffers.length, sum, all);
            } catch (IOException io) {
                throw new UncheckedIOException(io);
            }
            float[] mean = new float[b];
            for (int i = 0; i < b; i++) mean[i] = all[i] / net.count();
            return mean;
        }

        private static String describe(List<Shard> shards) {
            return shards.stream().map(s -> "partition " + s.partition()).reduce((a, b) -> a + ", " + b).orElse("no partition");
        }
    }
}
