package org.panagrad.spark;

import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.Test;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Forward;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Barrier training of a batch-norm model (ResNet-8) runs the training-mode graph as DistributedDataParallel without
 * SyncBatchNorm: each partition's slice is normalised with its own statistics, each partition's running statistics
 * move with its slices, and every partition goes on from their average after each epoch; the driver gets the
 * average at the end. The reference is one model replica per partition in this process, stepping on the summed
 * gradient, over two epoch boundaries in one stage; the run split into stages at an epoch boundary is the same run.
 */
class BarrierBatchNormTest {
    static final ModelSpec SPEC = ModelSpec.zoo("resnet8");
    static final int EXAMPLES = 48, BATCH = 16, STEPS = 7; // 3 steps per epoch: the stage ends in the third epoch

    @Test
    void resnet8OnTwoPartitionsFollowsOneReplicaPerPartition() {
        assertFollowsReplicas(2);
    }

    @Test
    void fourPartitionsInTwoTasksKeepTheirOwnRunningStatistics() {
        assertFollowsReplicas(4);
    }

    private static void assertFollowsReplicas(int partitions) {
        Shard all = TestSpark.data(EXAMPLES, 784, 10, 31);
        List<Shard> parts = SparkData.split(all.features(), all.labels(), all.width(), partitions);
        JavaRDD<Shard> rdd = SparkData.parallelize(TestSpark.context(), parts);
        SparkLoss spark = new SparkLoss(TestSpark.context(), rdd, SPEC, new SparkLoss.Settings(EXAMPLES, 2, 1));
        long[][] layout = spark.layout();
        int[] counts = new int[partitions];
        for (int p = 0; p < partitions; p++) counts[p] = (int) layout[1][p];
        StratifiedBatches batches = new StratifiedBatches(layout[0], counts, BATCH, 7);
        float[] theta = spark.initialParameters(5), initial = spark.initialBuffers(5);
        int n = theta.length;
        assertTrue(initial.length > 0, "ResNet-8 has running statistics");

        int epoch = batches.stepsPerEpoch();
        assertTrue(STEPS > 2 * epoch && STEPS % epoch != 0, "the stage crosses two epoch boundaries and ends mid-epoch");
        BarrierTraining training = new BarrierTraining(spark, batches);
        assertEquals(2, training.tasks(), "local[2] runs 2 tasks");
        BarrierTraining.Result result = training.run(FlatUpdate.sgd(n, 0.05, 0.9), theta, initial, 0, STEPS);

        // The same run as two stages split at the first epoch boundary (train --epochs-per-stage 1) is the same run.
        BarrierTraining.Result head = training.run(FlatUpdate.sgd(n, 0.05, 0.9), theta, initial, 0, epoch);
        BarrierTraining.Result tail = training.run(head.update(), head.parameters(), head.buffers(), epoch, STEPS - epoch);
        assertArrayEquals(result.parameters(), tail.parameters(), "parameters, one stage or two");
        assertArrayEquals(result.buffers(), tail.buffers(), "running statistics, one stage or two");
        for (int step = 0; step < STEPS; step++) {
            assertEquals(result.losses()[step], step < epoch ? head.losses()[step] : tail.losses()[step - epoch], "loss of step " + step);
        }

        // The reference: a replica (its own store, hence its own running statistics) per partition.
        ShardEvaluator[] replicas = new ShardEvaluator[partitions];
        for (int p = 0; p < partitions; p++) replicas[p] = new ShardEvaluator(SPEC, EXAMPLES);
        float[] ref = theta.clone(), g = new float[n];
        FlatUpdate update = FlatUpdate.sgd(n, 0.05, 0.9);
        double firstLoss = 0;
        long[] firstBatch = null;
        for (int step = 0; step < STEPS; step++) {
            Partial sum = Partial.zero();
            long[] global = new long[BATCH];
            int at = 0;
            for (int p = 0; p < partitions; p++) {
                long[] slice = new long[batches.share(p)];
                StratifiedBatches.slice(parts.get(p).start(), StratifiedBatches.localPermutation(7, step / epoch, p, counts[p]),
                        step % epoch, slice.length, slice, 0);
                System.arraycopy(slice, 0, global, at, slice.length);
                at += slice.length;
                replicas[p].setParameters(ref);
                replicas[p].trainingGradient(parts.get(p), Selection.indices(slice), BarrierTraining.maskKey(step, p, partitions), sum);
            }
            if (step == 0) {
                firstLoss = sum.lossSum / sum.count;
                firstBatch = global;
            }
            LocalLoss.divide(sum, g);
            assertEquals(sum.lossSum / sum.count, result.losses()[step], 1e-5 * result.losses()[step], partitions + " partitions, step " + step);
            update.apply(ref, g);
            if ((step + 1) % epoch == 0) averageRunningStatistics(replicas, initial.length);
        }
        double err = TestSpark.relativeError(result.parameters(), ref);
        assertTrue(err < 1e-4, "parameters after " + STEPS + " steps differ by " + err);

        float[] mean = averageRunningStatistics(replicas, initial.length);
        assertTrue(TestSpark.relativeError(result.buffers(), mean) < 1e-5,
                "running statistics differ from the replicas' mean by " + TestSpark.relativeError(result.buffers(), mean));
        assertTrue(TestSpark.relativeError(result.buffers(), initial) > 1e-3, "the running statistics moved");
        Set<Float> tracked = new HashSet<>();
        Classifier model = ModelZoo.build(SPEC, new Graph());
        int off = 0;
        for (Node buffer : model.buffers()) {
            if (buffer.name().endsWith("num_batches_tracked")) tracked.add(result.buffers()[off]);
            off += buffer.shape().numel();
        }
        assertEquals(Set.of((float) STEPS), tracked, "every batch norm counted " + STEPS + " batches");

        // The first step's loss is the training-mode loss with per-partition batch statistics, computed here from
        // the graph: not the evaluation-mode loss, nor the loss with the whole global batch's statistics.
        double perPartition = 0;
        for (int p = 0, from = 0; p < partitions; from += batches.share(p), p++) {
            int share = batches.share(p);
            perPartition += share * trainModeLoss(all, java.util.Arrays.copyOfRange(firstBatch, from, from + share), theta);
        }
        assertEquals(perPartition / BATCH, result.losses()[0], 1e-5 * perPartition / BATCH, "the per-partition training-mode loss");
        assertEquals(firstLoss, result.losses()[0], 1e-5 * firstLoss);
        double globalStatistics = trainModeLoss(all, firstBatch, theta);
        assertNotEquals(globalStatistics, result.losses()[0], 1e-4 * globalStatistics, "statistics of the whole global batch");
        double eval = new LocalLoss(SPEC, all, EXAMPLES).loss(theta, Selection.indices(firstBatch));
        assertNotEquals(eval, result.losses()[0], 1e-4 * eval, "the evaluation-mode loss");
    }

    /** Sets every replica's running statistics to their mean over the replicas, and returns it. */
    private static float[] averageRunningStatistics(ShardEvaluator[] replicas, int length) {
        float[] sum = new float[length], b = new float[length];
        for (ShardEvaluator r : replicas) {
            r.readBuffers(b);
            for (int i = 0; i < length; i++) sum[i] += b[i];
        }
        for (int i = 0; i < length; i++) sum[i] /= replicas.length;
        for (ShardEvaluator r : replicas) r.writeBuffers(sum);
        return sum;
    }

    /** The mean training-mode loss of these examples as one batch, from a graph built here. */
    private static double trainModeLoss(Shard all, long[] rows, float[] theta) {
        Graph g = new Graph();
        Classifier model = ModelZoo.build(SPEC, g);
        ParameterStore store = new ParameterStore();
        model.initialize(store, 0);
        new org.panagrad.analysis.FlatParameters(store, model.parameters()).write(theta);
        Node x = model.input(g, "x", rows.length);
        Node y = g.labels("y", rows.length, model.classes());
        Node loss = SoftmaxCrossEntropy.of(model.logits(x, Forward.train()), y);
        Program program = Compiler.compile(store, List.of(loss));
        float[] features = new float[rows.length * all.width()];
        int[] labels = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(all.features(), (int) rows[i] * all.width(), features, i * all.width(), all.width());
            labels[i] = all.labels()[(int) rows[i]];
        }
        program.set(x, features, 0);
        program.setLabels(y, labels, 0);
        program.run();
        return program.scalar(loss);
    }

    @Test
    void localSgdAveragesTheReplicasTrainingModeRunningStatistics() {
        int partitions = 2, batch = 8, localSteps = 2;
        Shard all = TestSpark.data(EXAMPLES, 784, 10, 37);
        List<Shard> parts = SparkData.split(all.features(), all.labels(), all.width(), partitions);
        SparkLoss spark = new SparkLoss(TestSpark.context(), SparkData.parallelize(TestSpark.context(), parts), SPEC,
                new SparkLoss.Settings(EXAMPLES, 2, 1));
        float[] theta = spark.initialParameters(5), initial = spark.initialBuffers(5);
        int n = theta.length;
        LocalSgd rounds = new LocalSgd(spark, FlatUpdate.sgd(n, 0.05, 0.9), theta, initial, batch, localSteps, 3);
        double loss = rounds.round();

        float[] meanTheta = new float[n], meanBuffers = new float[initial.length], b = new float[initial.length], g = new float[n];
        double meanLoss = 0;
        for (int p = 0; p < partitions; p++) {
            Shard shard = parts.get(p);
            ShardEvaluator replica = new ShardEvaluator(SPEC, EXAMPLES);
            float[] mine = theta.clone();
            FlatUpdate update = FlatUpdate.sgd(n, 0.05, 0.9);
            int[] perm = StratifiedBatches.localPermutation(3, 0, p, shard.count());
            for (int step = 0; step < localSteps; step++) {
                long[] rows = new long[batch];
                StratifiedBatches.slice(shard.start(), perm, step, batch, rows, 0);
                Partial sum = Partial.zero();
                replica.setParameters(mine);
                replica.trainingGradient(shard, Selection.indices(rows), BarrierTraining.maskKey(step, p, partitions), sum);
                LocalLoss.divide(sum, g);
                meanLoss += sum.lossSum / sum.count / localSteps / partitions;
                update.apply(mine, g);
            }
            replica.readBuffers(b);
            for (int i = 0; i < n; i++) meanTheta[i] += mine[i] / partitions;
            for (int i = 0; i < b.length; i++) meanBuffers[i] += b[i] / partitions;
        }
        assertEquals(meanLoss, loss, 1e-5 * meanLoss, "the replicas' mean training-mode loss");
        assertTrue(TestSpark.relativeError(rounds.parameters(), meanTheta) < 1e-4, "averaged parameters");
        assertTrue(TestSpark.relativeError(rounds.buffers(), meanBuffers) < 1e-5, "averaged running statistics");
        assertTrue(TestSpark.relativeError(rounds.buffers(), initial) > 1e-3, "the running statistics moved");
    }

    @Test
    void synchronousTrainingOnTheEvaluationLossRefusesBatchNorm() {
        LocalLoss local = new LocalLoss(SPEC, TestSpark.data(16, 784, 10, 3), 16);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new SynchronousTraining(local, new StratifiedBatches(new long[] {0}, new int[] {16}, 8, 1),
                        FlatUpdate.sgd(local.dimension(), 0.1, 0), local.initialParameters(1)));
        assertTrue(e.getMessage().contains("resnet8") && e.getMessage().contains("BarrierTraining"), e.getMessage());
    }

    @Test
    void dropoutMaskKeysDifferAcrossPartitionsAndSteps() {
        Set<Long> keys = new HashSet<>();
        for (long step = 0; step < 50; step++) for (int p = 0; p < 4; p++) keys.add(BarrierTraining.maskKey(step, p, 4));
        assertEquals(200, keys.size());
    }
}
