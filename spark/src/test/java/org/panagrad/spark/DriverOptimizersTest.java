package org.panagrad.spark;

import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.nn.Activation;
import org.panagrad.optim.secondorder.Lbfgs;
import org.panagrad.optim.secondorder.NewtonCg;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The driver-side optimizers on 4 partitions follow their single-process trajectories. */
class DriverOptimizersTest {
    static final ModelSpec SPEC = ModelSpec.mlp(Activation.TANH, 24, 8, 5);
    static final int CHUNK = 400;

    static Shard all;
    static LocalLoss local;
    static SparkLoss spark;
    static float[] theta;

    @BeforeAll
    static void setUp() {
        // A quarter of the labels are noise, and the 245 parameters see 1600 examples (400 in the curvature
        // sample): the loss levels off well above 0 and the Gauss-Newton matrix has full rank, as on real data.
        // (On 403 examples and 485 parameters its rank-deficient curvature sample let the damping fall to 0.008,
        // and CG amplified float rounding 1000-fold.) Chunks of 400 are the 4 partitions, so whole-batch
        // products sum the same rows in the same order on both sides; the curvature sample's chunks differ, and
        // as Levenberg-Marquardt lowers the damping to 7e-4, Newton-CG's losses drift apart to 4e-5 by step 20.
        all = TestSpark.data(1600, 24, 5, 11, 0.25);
        local = new LocalLoss(SPEC, all, CHUNK);
        JavaRDD<Shard> shards = SparkData.parallelize(TestSpark.context(),
                SparkData.split(all.features(), all.labels(), all.width(), 4));
        spark = new SparkLoss(TestSpark.context(), shards, SPEC, new SparkLoss.Settings(CHUNK, 2, 1));
        theta = local.initialParameters(3);
    }

    private static void assertSameLoss(String what, int iteration, double single, double distributed) {
        assertEquals(single, distributed, 1e-4 * Math.abs(single),
                what + " iteration " + iteration + ": single-process " + single + ", distributed " + distributed);
    }

    @Test
    void lbfgsFollowsTheSingleProcessTrajectory() {
        DatasetFunction f1 = new DatasetFunction(local, Selection.all(), theta), f4 = new DatasetFunction(spark, Selection.all(), theta);
        Lbfgs one = Lbfgs.minimizing(f1, DatasetFunction.lbfgsOptions(10)), four = Lbfgs.minimizing(f4, DatasetFunction.lbfgsOptions(10));
        double first = Double.NaN;
        for (int i = 0; i < 20; i++) {
            double l1 = one.step(), l4 = four.step();
            if (i == 0) first = l1;
            assertSameLoss("L-BFGS", i, l1, l4);
            assertTrue(one.lastStepSatisfiedWolfe(), "iteration " + i + ": the line search met the strong Wolfe conditions");
        }
        assertSameLoss("L-BFGS", 20, one.lastLoss(), four.lastLoss());
        assertTrue(one.lastLoss() < 0.7 * first, "20 L-BFGS iterations: " + first + " -> " + one.lastLoss());
        assertTrue(f4.evaluations() < 20 * 2, "the gradient where a step ends starts the next: " + f4.evaluations() + " evaluations");
    }

    @Test
    void newtonCgFollowsTheSingleProcessTrajectory() {
        Selection curvature = Selection.sample(0.25, 17);
        NewtonCg.Options options = NewtonCg.Options.defaults().withMaxCgIterations(10);
        try (DatasetFunction f1 = new DatasetFunction(local, Selection.all(), curvature, CurvatureProduct.Kind.GAUSS_NEWTON, theta);
             DatasetFunction f4 = new DatasetFunction(spark, Selection.all(), curvature, CurvatureProduct.Kind.GAUSS_NEWTON, theta)) {
            NewtonCg one = NewtonCg.minimizing(f1, options), four = NewtonCg.minimizing(f4, options);
            double first = Double.NaN;
            for (int i = 0; i < 20; i++) {
                double l1 = one.step(), l4 = four.step();
                if (i == 0) first = l1;
                assertSameLoss("Newton-CG", i, l1, l4);
            }
            assertSameLoss("Newton-CG", 20, one.lastLoss(), four.lastLoss());
            assertTrue(one.lastLoss() < 0.7 * first, "20 Newton-CG steps: " + first + " -> " + one.lastLoss());
        }
    }

    @Test
    void synchronousSgdAndAdamAreSingleProcessTrainingAtTheGlobalBatch() {
        long[][] layout = spark.layout();
        for (boolean adam : new boolean[] {false, true}) {
            int n = local.dimension();
            SynchronousTraining one = new SynchronousTraining(local, batches(layout), adam ? FlatUpdate.adam(n, 1e-2) : FlatUpdate.sgd(n, 0.1, 0.9), theta);
            SynchronousTraining four = new SynchronousTraining(spark, batches(layout), adam ? FlatUpdate.adam(n, 1e-2) : FlatUpdate.sgd(n, 0.1, 0.9), theta);
            for (int i = 0; i < 20; i++) assertSameLoss(adam ? "Adam" : "SGD", i, one.step(), four.step());
            assertTrue(TestSpark.relativeError(four.parameters(), one.parameters()) < 1e-4);
            assertEquals(0, one.epoch(), "20 steps of 25 epochs per step (16 of each partition's 400 or 401 examples per step)");
        }
    }

    private static StratifiedBatches batches(long[][] layout) {
        int[] counts = new int[layout[1].length];
        for (int i = 0; i < counts.length; i++) counts[i] = (int) layout[1][i];
        return new StratifiedBatches(layout[0], counts, 64, 5);
    }

    @Test
    void localSgdOnOnePartitionIsSequentialSgd() {
        JavaRDD<Shard> one = SparkData.parallelize(TestSpark.context(), List.of(all));
        SparkLoss single = new SparkLoss(TestSpark.context(), one, SPEC, new SparkLoss.Settings(CHUNK, 2, 1));
        int n = local.dimension();
        LocalSgd rounds = new LocalSgd(single, FlatUpdate.adam(n, 1e-2), theta, new float[0], 50, 4, 5);
        SynchronousTraining steps = new SynchronousTraining(local,
                new StratifiedBatches(new long[] {0}, new int[] {all.count()}, 50, 5), FlatUpdate.adam(n, 1e-2), theta);
        for (int r = 0; r < 3; r++) {
            rounds.round();
            for (int k = 0; k < 4; k++) steps.step();
        }
        assertEquals(12, rounds.steps());
        assertTrue(TestSpark.relativeError(rounds.parameters(), steps.parameters()) < 1e-5,
                "local SGD with one replica after 12 steps differs by " + TestSpark.relativeError(rounds.parameters(), steps.parameters()));
    }

    @Test
    void localSgdOnFourPartitionsLowersTheLoss() {
        int n = local.dimension();
        LocalSgd rounds = new LocalSgd(spark, FlatUpdate.sgd(n, 0.2, 0.9), theta, new float[0], 16, 5, 5);
        double before = local.loss(theta, Selection.all());
        for (int r = 0; r < 6; r++) rounds.round();
        double after = local.loss(rounds.parameters(), Selection.all());
        assertTrue(after < 0.8 * before, "6 rounds of local SGD: " + before + " -> " + after);
    }
}
