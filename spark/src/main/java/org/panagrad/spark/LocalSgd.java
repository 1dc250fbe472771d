package org.panagrad.spark;

import org.apache.spark.broadcast.Broadcast;

import java.io.Serializable;

/**
 * Local SGD with periodic parameter averaging (Deeplearning4j's ParameterAveragingTrainingMaster, McMahan et
 * al.'s federated averaging with every worker taking part): each round, every partition starts from the
 * broadcast parameters and optimizer state, takes {@code localSteps} steps on mini-batches of its own examples
 * (its epoch-wise shuffle, as {@link StratifiedBatches} draws it), and treeAggregate averages the replicas'
 * parameters and optimizer states (momentum, Adam's moments). One job per round instead of one per step; the
 * replicas drift apart in between, so it is not the single-process trajectory.
 * <p>
 * Replicas train the model's training-mode graph, as {@link BarrierTraining} does: batch norm on each local
 * batch's statistics, each replica's running statistics moving with its batches and averaged with the parameters
 * each round; dropout masks keyed on (step, partition).
 */
public final class LocalSgd {
    /** What every replica starts a round from. */
    private record Round(float[] theta, float[] buffers, FlatUpdate update, int batch, int localSteps, long firstStep,
                         long seed, int partitions) implements Serializable {
    }

    private final SparkLoss loss;
    private final int batch, localSteps;
    private final long seed;
    private float[] theta, buffers;
    private FlatUpdate update;
    private long steps, rounds;

    /**
     * {@code batch} examples per local step on each partition; {@code localSteps} steps between averagings; from
     * theta and the running statistics {@code buffers} (empty for a model without batch norm). The run continues
     * after the {@link FlatUpdate#steps() steps} the update has taken: 0 for a fresh one, and for one
     * {@link FlatUpdate#restore restored} from a saved round's {@link #update()}, where that run stopped, so that it
     * draws the same batches and ends bit for bit where an uninterrupted run ends.
     */
    public LocalSgd(SparkLoss loss, FlatUpdate update, float[] theta, float[] buffers, int batch, int localSteps, long seed) {
        if (batch < 1 || localSteps < 1) {
            throw new IllegalArgumentException("local SGD needs a batch and local steps of at least 1, got " + batch
                    + " and " + localSteps);
        }
        this.loss = loss;
        this.update = update;
        this.theta = theta.clone();
        this.buffers = buffers.clone();
        this.batch = batch;
        this.localSteps = localSteps;
        this.seed = seed;
        this.steps = update.steps();
        this.rounds = steps / localSteps;
        if (steps % localSteps != 0) {
            throw new IllegalArgumentException("local SGD continues after whole rounds of " + localSteps + " local steps; the update has taken "
                    + steps + " (another --local-steps?)");
        }
    }

    /** One round; returns the replicas' mean training loss over its local steps. */
    public double round() {
        int n = theta.length;
        Broadcast<Round> start = loss.context().broadcast(new Round(theta, buffers, update, batch, localSteps, steps, seed,
                loss.shards().getNumPartitions()));
        Partial sum;
        try {
            sum = loss.aggregate((e, shard, into) -> train(e, shard, start.value(), into));
        } finally {
            start.destroy();
        }
        if (sum.count == 0) throw new IllegalStateException("no partition holds examples to train on");
        float scale = 1f / sum.count;
        float[] v = sum.vector();
        FlatUpdate averaged = update.copy();
        for (int i = 0; i < n; i++) theta[i] = v[i] * scale;
        for (int i = 0; i < averaged.first.length; i++) averaged.first[i] = v[n + i] * scale;
        for (int i = 0; i < averaged.second.length; i++) averaged.second[i] = v[n + averaged.first.length + i] * scale;
        int state = n + averaged.first.length + averaged.second.length;
        for (int i = 0; i < buffers.length; i++) buffers[i] = v[state + i] * scale;
        averaged.step = update.step + localSteps;
        update = averaged;
        steps += localSteps;
        rounds++;
        return sum.lossSum / sum.count;
    }

    /** One replica's round on one partition: contributes [theta, state...] and its mean loss, counted once. */
    private static void train(ShardEvaluator e, Shard shard, Round round, Partial into) {
        if (shard.count() == 0) return;
        int share = Math.min(round.batch(), shard.count());
        int perEpoch = shard.count() / share;
        float[] theta = round.theta().clone();
        FlatUpdate update = round.update().copy();
        float[] g = new float[theta.length];
        double lossSum = 0;
        long cachedEpoch = -1;
        int[] perm = null;
        float[] initial = new float[e.bufferDimension()], buffers = round.buffers().clone();
        e.readBuffers(initial);
        e.writeBuffers(buffers);
        try {
            for (int k = 0; k < round.localSteps(); k++) {
                long step = round.firstStep() + k;
                long epoch = step / perEpoch;
                if (epoch != cachedEpoch) {
                    perm = StratifiedBatches.localPermutation(round.seed(), epoch, shard.partition(), shard.count());
                    cachedEpoch = epoch;
                }
                int at = (int) (step % perEpoch) * share;
                long[] rows = new long[share];
                for (int i = 0; i < share; i++) rows[i] = shard.start() + perm[at + i];
                Partial p = Partial.zero();
                e.setParameters(theta);
                e.trainingGradient(shard, Selection.indices(rows), BarrierTraining.maskKey(step, shard.partition(), round.partitions()), p);
                LocalLoss.divide(p, g);
                lossSum += p.lossSum / p.count;
                update.apply(theta, g);
            }
            e.readBuffers(buffers);
        } finally {
            e.writeBuffers(initial); // the cached evaluator's evaluation passes keep seeing what they saw before
        }
        int n = theta.length, state = n + update.first.length + update.second.length;
        float[] out = new float[state + buffers.length];
        System.arraycopy(theta, 0, out, 0, n);
        System.arraycopy(update.first, 0, out, n, update.first.length);
        System.arraycopy(update.second, 0, out, n + update.first.length, update.second.length);
        System.arraycopy(buffers, 0, out, state, buffers.length);
        Partial mine = Partial.zero();
        mine.vector = out;
        mine.count = 1;
        mine.lossSum = lossSum / round.localSteps();
        into.merge(mine);
    }

    public float[] parameters() {
        return theta;
    }

    /** The replicas' running statistics, averaged at the last round. */
    public float[] buffers() {
        return buffers;
    }

    /** The replicas' optimizer state (momentum, Adam's moments and step count), averaged at the last round. */
    public FlatUpdate update() {
        return update;
    }

    /** Local steps each replica has taken. */
    public long steps() {
        return steps;
    }

    public long rounds() {
        return rounds;
    }
}
