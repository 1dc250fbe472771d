package org.panagrad.spark;

import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.panagrad.nn.Activation;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Synchronous training in one barrier stage is single-process training at the global batch: on 2 partitions
 * (2 tasks on local[2]) and on 4 (grouped into 2 tasks of 2 shards), resumed mid-epoch from a returned state, then
 * over three epoch boundaries in one stage; a partition that throws fails the stage with its message.
 */
class BarrierTrainingTest {
    static final ModelSpec SPEC = ModelSpec.mlp(Activation.TANH, 24, 8, 5);
    static final int BATCH = 64, STEPS = 80, FIRST = 12;

    static Shard all;
    static LocalLoss local;
    static float[] theta;

    @BeforeAll
    static void setUp() {
        all = TestSpark.data(1600, 24, 5, 11, 0.25);
        local = new LocalLoss(SPEC, all, 400);
        theta = local.initialParameters(3);
    }

    private static SparkLoss distributed(List<Shard> shards) {
        JavaRDD<Shard> rdd = SparkData.parallelize(TestSpark.context(), shards);
        return new SparkLoss(TestSpark.context(), rdd, SPEC, new SparkLoss.Settings(400, 2, 1));
    }

    private static StratifiedBatches batches(SparkLoss loss) {
        long[][] layout = loss.layout();
        int[] counts = new int[layout[1].length];
        for (int i = 0; i < counts.length; i++) counts[i] = (int) layout[1][i];
        return new StratifiedBatches(layout[0], counts, BATCH, 5);
    }

    private static void assertFollows(int partitions, boolean adam) {
        SparkLoss spark = distributed(SparkData.split(all.features(), all.labels(), all.width(), partitions));
        int n = local.dimension();
        FlatUpdate update = adam ? FlatUpdate.adam(n, 1e-2) : FlatUpdate.sgd(n, 0.1, 0.9);
        SynchronousTraining reference = new SynchronousTraining(local, batches(spark), update.copy(), theta);
        assertTrue(STEPS - FIRST > 2 * batches(spark).stepsPerEpoch() && FIRST < batches(spark).stepsPerEpoch(),
                "the second stage spans several epoch boundaries");
        // Two stages, of 12 steps and of 68 over three epoch boundaries: the second resumes mid-epoch from the
        // first's parameters and optimizer state.
        BarrierTraining training = new BarrierTraining(spark, batches(spark));
        assertEquals(2, training.tasks(), "local[2] runs 2 tasks");
        BarrierTraining.Result first = training.run(update, theta, new float[0], 0, FIRST);
        BarrierTraining.Result second = training.run(first.update(), first.parameters(), first.buffers(), FIRST, STEPS - FIRST);
        for (int i = 0; i < STEPS; i++) {
            double expected = reference.step();
            double got = i < FIRST ? first.losses()[i] : second.losses()[i - FIRST];
            assertEquals(expected, got, 1e-5 * expected, (adam ? "Adam" : "SGD") + " on " + partitions + " partitions, step " + i);
        }
        double err = TestSpark.relativeError(second.parameters(), reference.parameters());
        assertTrue(err < 1e-4, partitions + " partitions: the parameters after " + STEPS + " steps differ by " + err);
        assertTrue(second.meanLoss(STEPS - FIRST - 5, STEPS - FIRST) < first.meanLoss(0, 5), "training lowers the loss");
    }

    @Test
    void twoPartitionsInTwoTasksFollowSingleProcessTraining() {
        assertFollows(2, false);
        assertFollows(2, true);
    }

    @Test
    void fourPartitionsGroupedIntoTwoTasksFollowSingleProcessTraining() {
        assertFollows(4, false);
    }

    @Test
    void aThrowingPartitionFailsTheStageWithItsMessage() {
        List<Shard> shards = new ArrayList<>(SparkData.split(all.features(), all.labels(), all.width(), 2));
        Shard bad = shards.get(1);
        int[] labels = bad.labels().clone();
        labels[7] = 9; // the model has 5 classes
        shards.set(1, new Shard(1, bad.start(), bad.count(), bad.width(), bad.features(), labels));
        SparkLoss broken = distributed(shards);
        int epoch = batches(broken).stepsPerEpoch(); // within an epoch every example is drawn
        BarrierTraining training = new BarrierTraining(broken, batches(broken));
        DistributedException e = assertThrows(DistributedException.class,
                () -> training.run(FlatUpdate.sgd(local.dimension(), 0.1, 0), theta, new float[0], 0, epoch));
        assertTrue(e.getMessage().startsWith("partition 1 (examples 800-1599): "), e.getMessage());
        assertTrue(e.getMessage().contains("label 9 at index"), e.getMessage());
    }
}
