package org.panagrad.spark;

import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.nn.Activation;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.optim.secondorder.Lbfgs;
import org.panagrad.optim.secondorder.NewtonCg;
import org.panagrad.optim.secondorder.OptimizerSnapshot;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A saved training run resumes exactly: Adam in barrier stages, local SGD with Adam, and the driver's L-BFGS and Newton-CG, saved to a
 * file after a few epochs or iterations, loaded and continued, end bit for bit where an uninterrupted run ends; a failed barrier
 * stage, rerun from the last completed epoch's state (a stage's end, or an epoch end task 0 reported inside it), changes nothing
 * either, and without retries its failure ends the run with the executor's message.
 */
class ResumeTest {
    static final ModelSpec SPEC = ModelSpec.mlp(Activation.TANH, 24, 8, 5);
    static final int EPOCHS = 3;

    static Shard all;
    static SparkLoss spark;
    static StratifiedBatches batches;
    static float[] theta;
    /** Adam over all EPOCHS epochs in one stage: the uninterrupted run. */
    static EpochStages.State whole;

    @BeforeAll
    static void setUp() {
        all = TestSpark.data(1024, 24, 5, 11, 0.25);
        JavaRDD<Shard> rdd = SparkData.parallelize(TestSpark.context(), SparkData.split(all.features(), all.labels(), all.width(), 2));
        spark = new SparkLoss(TestSpark.context(), rdd, SPEC, new SparkLoss.Settings(256, 2, 1));
        batches = new StratifiedBatches(new long[] {0, 512}, new int[] {512, 512}, 128, 5); // 8 steps per epoch
        theta = spark.initialParameters(3);
        whole = new EpochStages(new BarrierTraining(spark, batches)::run, batches.stepsPerEpoch(), EPOCHS, 0).run(start(), EPOCHS, new Log());
    }

    private static EpochStages.State start() {
        return new EpochStages.State(0, theta, new float[0], FlatUpdate.adam(theta.length, 1e-2));
    }

    /** Collects what the stages report. */
    private static class Log implements EpochStages.Listener {
        final List<String> events = new ArrayList<>();

        @Override
        public void completed(int firstEpoch, int epochs, BarrierTraining.Result result, EpochStages.State after, double seconds) {
            events.add("epochs " + firstEpoch + "+" + epochs);
        }

        @Override
        public void epochEnded(EpochStages.State after, double[] losses) throws java.io.IOException {
            events.add("epoch end " + after.epochsDone() + " (" + losses.length + " losses)");
        }

        @Override
        public void retrying(int firstEpoch, int epochs, int attempt, RuntimeException failure) {
            events.add("retry " + firstEpoch + " attempt " + attempt + ": " + failure.getMessage());
        }
    }

    @Test
    void adamSavedAfterTwoEpochsAndResumedEqualsAnUninterruptedRun(@TempDir Path dir) throws Exception {
        BarrierTraining training = new BarrierTraining(spark, batches);
        int steps = batches.stepsPerEpoch();
        EpochStages.State two = new EpochStages(training::run, steps, EPOCHS, 0).run(start(), 2, new Log());
        Path file = dir.resolve("run.safetensors");
        ParameterFiles.save(file, SPEC, two.parameters(), two.buffers(),
                new TrainingState(two.update().snapshot(), Map.of("epochs", "2", "batch", "128")));
        TrainingState saved = ParameterFiles.loadState(file, SPEC);
        saved.requireSame(Map.of("batch", "128"));
        FlatUpdate restored = FlatUpdate.restore(saved.optimizer(), FlatUpdate.adam(theta.length, 1e-2));
        assertEquals(2L * steps, restored.steps(), "Adam's step count travels");
        EpochStages.State resumed = new EpochStages(training::run, steps, EPOCHS, 0).run(new EpochStages.State(
                Integer.parseInt(saved.get("epochs")), ParameterFiles.load(file, SPEC), ParameterFiles.loadBuffers(file, SPEC), restored),
                EPOCHS, new Log());

        assertArrayEquals(whole.parameters(), resumed.parameters(), "the resumed run's parameters, bit for bit");
        OptimizerSnapshot a = whole.update().snapshot(), b = resumed.update().snapshot();
        assertEquals(a.scalars(), b.scalars(), "Adam's step count and settings");
        for (int i = 0; i < a.tensors().size(); i++) {
            assertArrayEquals(a.tensors().get(i).data(), b.tensors().get(i).data(), "Adam's " + a.tensors().get(i).name());
        }
        assertTrue(!java.util.Arrays.equals(two.parameters(), whole.parameters()), "the third epoch moved the parameters");

        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> saved.requireSame(Map.of("batch", "256")));
        assertTrue(other.getMessage().contains("batch 128 (saved) vs 256 (now)"), other.getMessage());
        IllegalArgumentException lr = assertThrows(IllegalArgumentException.class,
                () -> FlatUpdate.restore(saved.optimizer(), FlatUpdate.adam(theta.length, 1e-3)));
        assertTrue(lr.getMessage().contains("adam lr 0.01") && lr.getMessage().contains("adam lr 0.001"), lr.getMessage());
        IllegalArgumentException sgd = assertThrows(IllegalArgumentException.class,
                () -> FlatUpdate.restore(saved.optimizer(), FlatUpdate.sgd(theta.length, 1e-2, 0.9)));
        assertTrue(sgd.getMessage().contains("cannot restore sgd from the state of adam"), sgd.getMessage());
        Path bare = dir.resolve("bare.safetensors");
        ParameterFiles.save(bare, SPEC, theta, new float[0]);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> ParameterFiles.loadState(bare, SPEC));
        assertTrue(none.getMessage().contains("no optimizer state"), none.getMessage());
    }

    @Test
    void lbfgsSavedAfterThreeIterationsAndResumedEqualsAnUninterruptedRun(@TempDir Path dir) throws Exception {
        DatasetFunction f = new DatasetFunction(spark, Selection.all(), theta);
        Lbfgs uninterrupted = Lbfgs.minimizing(f, DatasetFunction.lbfgsOptions(4));
        double[] expected = new double[6];
        for (int i = 0; i < 6; i++) expected[i] = uninterrupted.step();

        DatasetFunction g = new DatasetFunction(spark, Selection.all(), theta);
        Lbfgs first = Lbfgs.minimizing(g, DatasetFunction.lbfgsOptions(4));
        for (int i = 0; i < 3; i++) assertEquals(expected[i], first.step(), 0, "iteration " + i);
        Path file = dir.resolve("lbfgs.safetensors");
        ParameterFiles.save(file, SPEC, g.parameters(), new float[0], new TrainingState(first.snapshot(), Map.of("iterations", "3")));

        DatasetFunction h = new DatasetFunction(spark, Selection.all(), ParameterFiles.load(file, SPEC));
        Lbfgs resumed = Lbfgs.minimizing(h, DatasetFunction.lbfgsOptions(4));
        resumed.restore(ParameterFiles.loadState(file, SPEC).optimizer());
        for (int i = 3; i < 6; i++) assertEquals(expected[i], resumed.step(), 0, "resumed iteration " + i);
        assertArrayEquals(f.parameters(), h.parameters(), "the resumed L-BFGS's parameters, bit for bit");
    }

    @Test
    void newtonCgSavedAfterTwoIterationsAndResumedEqualsAnUninterruptedRun(@TempDir Path dir) throws Exception {
        Selection sample = Selection.sample(0.5, 7);
        NewtonCg.Options options = NewtonCg.Options.defaults().withMaxCgIterations(5);
        double[] expected = new double[4];
        float[] end;
        try (DatasetFunction f = new DatasetFunction(spark, Selection.all(), sample, CurvatureProduct.Kind.GAUSS_NEWTON, theta)) {
            NewtonCg uninterrupted = NewtonCg.minimizing(f, options);
            for (int i = 0; i < 4; i++) expected[i] = uninterrupted.step();
            end = f.parameters().clone();
        }
        Path file = dir.resolve("newton.safetensors");
        try (DatasetFunction g = new DatasetFunction(spark, Selection.all(), sample, CurvatureProduct.Kind.GAUSS_NEWTON, theta)) {
            NewtonCg first = NewtonCg.minimizing(g, options);
            for (int i = 0; i < 2; i++) assertEquals(expected[i], first.step(), 0, "iteration " + i);
            ParameterFiles.save(file, SPEC, g.parameters(), new float[0], new TrainingState(first.snapshot(), Map.of("iterations", "2")));
        }
        try (DatasetFunction h = new DatasetFunction(spark, Selection.all(), sample, CurvatureProduct.Kind.GAUSS_NEWTON,
                ParameterFiles.load(file, SPEC))) {
            NewtonCg resumed = NewtonCg.minimizing(h, options);
            resumed.restore(ParameterFiles.loadState(file, SPEC).optimizer());
            for (int i = 2; i < 4; i++) assertEquals(expected[i], resumed.step(), 0, "resumed iteration " + i);
            assertArrayEquals(end, h.parameters(), "the resumed Newton-CG's parameters, bit for bit");
        }
    }

    @Test
    void localSgdSavedAfterTwoRoundsAndResumedEqualsAnUninterruptedRun(@TempDir Path dir) throws Exception {
        // Adam, 3 local steps of 64 per round on each of the 2 partitions (8 steps per epoch: rounds cross epochs).
        int n = theta.length;
        LocalSgd uninterrupted = new LocalSgd(spark, FlatUpdate.adam(n, 1e-2), theta, new float[0], 64, 3, 5);
        double[] expected = new double[4];
        for (int r = 0; r < 4; r++) expected[r] = uninterrupted.round();

        LocalSgd first = new LocalSgd(spark, FlatUpdate.adam(n, 1e-2), theta, new float[0], 64, 3, 5);
        for (int r = 0; r < 2; r++) assertEquals(expected[r], first.round(), 0, "round " + r);
        Path file = dir.resolve("local.safetensors");
        ParameterFiles.save(file, SPEC, first.parameters(), first.buffers(),
                new TrainingState(first.update().snapshot(), Map.of("rounds", "2", "local steps", "3")));

        ParameterFiles.Checkpoint saved = ParameterFiles.loadCheckpoint(file, SPEC);
        FlatUpdate restored = FlatUpdate.restore(saved.requireState().optimizer(), FlatUpdate.adam(n, 1e-2));
        LocalSgd resumed = new LocalSgd(spark, restored, saved.parameters(), saved.buffers(), 64, 3, 5);
        assertEquals(6, resumed.steps(), "the position comes with Adam's step count");
        assertEquals(2, resumed.rounds());
        for (int r = 2; r < 4; r++) assertEquals(expected[r], resumed.round(), 0, "resumed round " + r);
        assertArrayEquals(uninterrupted.parameters(), resumed.parameters(), "the resumed local SGD's parameters, bit for bit");
        OptimizerSnapshot a = uninterrupted.update().snapshot(), b = resumed.update().snapshot();
        assertEquals(a.scalars(), b.scalars(), "Adam's step count and settings");
        for (int i = 0; i < a.tensors().size(); i++) {
            assertArrayEquals(a.tensors().get(i).data(), b.tensors().get(i).data(), "the averaged " + a.tensors().get(i).name());
        }

        IllegalArgumentException steps = assertThrows(IllegalArgumentException.class,
                () -> new LocalSgd(spark, restored, saved.parameters(), saved.buffers(), 64, 4, 5));
        assertTrue(steps.getMessage().contains("whole rounds of 4 local steps; the update has taken 6"), steps.getMessage());
    }

    @Test
    void aStageOverEveryEpochHandsOverEachEpochEndToSaveAndToRerunFrom(@TempDir Path dir) throws Exception {
        BarrierTraining training = new BarrierTraining(spark, batches);
        int steps = batches.stepsPerEpoch();
        Path file = dir.resolve("epoch.safetensors");
        Log saving = new Log() {
            @Override
            public void epochEnded(EpochStages.State after, double[] losses) throws java.io.IOException {
                super.epochEnded(after, losses);
                if (after.epochsDone() == 1) { // as train --save writes it
                    ParameterFiles.save(file, SPEC, after.parameters(), after.buffers(),
                            new TrainingState(after.update().snapshot(), Map.of("epochs", "1")));
                }
            }
        };
        EpochStages.State oneStage = new EpochStages(training::run, steps, EPOCHS, 0).run(start(), EPOCHS, saving);
        assertEquals(List.of("epoch end 1 (8 losses)", "epoch end 2 (8 losses)", "epochs 0+3"), saving.events);
        assertArrayEquals(whole.parameters(), oneStage.parameters(), "reporting changes no bit");

        // The checkpoint of epoch 1, written while the stage ran, resumes to the uninterrupted run's end.
        ParameterFiles.Checkpoint saved = ParameterFiles.loadCheckpoint(file, SPEC);
        FlatUpdate restored = FlatUpdate.restore(saved.requireState().optimizer(), FlatUpdate.adam(theta.length, 1e-2));
        assertEquals(steps, restored.steps(), "the report carries Adam's step count");
        EpochStages.State resumed = new EpochStages(training::run, steps, EPOCHS, 0).run(new EpochStages.State(
                saved.requireState().count("epochs"), saved.parameters(), saved.buffers(), restored), EPOCHS, new Log());
        assertArrayEquals(whole.parameters(), resumed.parameters(), "resumed from an epoch inside a stage, bit for bit");

        // A stage lost in its third epoch reruns that epoch alone, from the report of the second.
        int[] calls = {0};
        EpochStages.Stage lostLate = (update, t, buffers, firstStep, count, ends) -> {
            if (calls[0]++ == 0) {
                training.run(update, t, buffers, firstStep, 2 * steps + steps / 2, ends);
                throw new DistributedException("executor lost", null);
            }
            return training.run(update, t, buffers, firstStep, count, ends);
        };
        Log log = new Log();
        EpochStages.State retried = new EpochStages(lostLate, steps, EPOCHS, 1).run(start(), EPOCHS, log);
        assertEquals(List.of("epoch end 1 (8 losses)", "epoch end 2 (8 losses)", "retry 2 attempt 1: executor lost", "epochs 2+1"),
                log.events);
        assertArrayEquals(whole.parameters(), retried.parameters(), "a rerun from an epoch inside the stage changes no bit");

        Log failing = new Log() {
            @Override
            public void epochEnded(EpochStages.State after, double[] losses) throws java.io.IOException {
                throw new java.io.IOException("disk full");
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new EpochStages(training::run, steps, EPOCHS, 1).run(start(), EPOCHS, failing));
        assertEquals("after epoch 1: disk full", e.getMessage(), "a listener's failure ends the run and is not retried");
        assertEquals(List.of(), failing.events);
    }

    @Test
    void aFailedStageRerunsFromTheLastCompletedStageAndChangesNothing() {
        BarrierTraining training = new BarrierTraining(spark, batches);
        int steps = batches.stepsPerEpoch();
        // One stage per epoch; the second stage's first attempt is lost (as an executor lost mid-stage would lose it).
        int[] calls = {0};
        EpochStages.Stage flaky = (update, t, buffers, firstStep, count, ends) -> {
            if (firstStep == steps && calls[0]++ == 0) {
                training.run(update, t, buffers, firstStep, count / 2, ends); // some work done, then lost
                throw new DistributedException("executor lost", null);
            }
            return training.run(update, t, buffers, firstStep, count, ends);
        };
        Log log = new Log();
        EpochStages.State retried = new EpochStages(flaky, steps, 1, 1).run(start(), EPOCHS, log);
        assertEquals(List.of("epochs 0+1", "retry 1 attempt 1: executor lost", "epochs 1+1", "epochs 2+1"), log.events);
        assertArrayEquals(whole.parameters(), retried.parameters(), "a rerun stage changes no bit");

        calls[0] = 0;
        DistributedException e = assertThrows(DistributedException.class,
                () -> new EpochStages(flaky, steps, 1, 0).run(start(), EPOCHS, new Log()));
        assertEquals("executor lost", e.getMessage(), "without retries the stage's failure ends the run");
    }

    /**
     * A task that fails for real in the middle of a stage, after task 0 reported two epoch ends: partition 1 holds
     * one bad label, on an example that the batches leave out (drop-last) in epochs 1 and 2 and draw in epoch 3.
     * The driver keeps both reports (the same bits as a clean run's), reruns the stage from epoch 2, where it fails
     * again, and ends the run with the executor's message; a consumer that throws an Error ends it naming the epoch.
     */
    @Test
    void aTaskFailingInsideAStageAfterEpochReportsRerunsFromTheLastReportAndEndsWithItsMessage() {
        long seed = 0;
        int row = -1; // partition 1's example to break: dropped in epochs 0 and 1, drawn in epoch 2
        StratifiedBatches found = null;
        while (row < 0) {
            found = new StratifiedBatches(new long[] {0, 512}, new int[] {512, 512}, 96, ++seed); // 10 steps of 48, 32 left out
            int used = found.stepsPerEpoch() * found.share(1);
            int[][] perm = new int[EPOCHS][];
            for (int epoch = 0; epoch < EPOCHS; epoch++) perm[epoch] = StratifiedBatches.localPermutation(seed, epoch, 1, 512);
            for (int i = 0; i < used && row < 0; i++) { // drawn in epoch 2 at position i
                int r = perm[2][i];
                if (position(perm[0], r) >= used && position(perm[1], r) >= used) row = r;
            }
        }
        StratifiedBatches dropping = found;
        List<Shard> shards = new ArrayList<>(SparkData.split(all.features(), all.labels(), all.width(), 2));
        Shard clean = shards.get(1);
        int[] labels = clean.labels().clone();
        labels[row] = 9; // the model has 5 classes
        shards.set(1, new Shard(1, clean.start(), clean.count(), clean.width(), clean.features(), labels));
        SparkLoss broken = new SparkLoss(TestSpark.context(), SparkData.parallelize(TestSpark.context(), shards), SPEC, spark.settings());
        int steps = dropping.stepsPerEpoch();
        EpochStages.State twoClean = new EpochStages(new BarrierTraining(spark, dropping)::run, steps, 2, 0).run(start(), 2, new Log());

        List<float[]> reported = new ArrayList<>();
        Log log = new Log() {
            @Override
            public void epochEnded(EpochStages.State after, double[] losses) throws java.io.IOException {
                super.epochEnded(after, losses);
                reported.add(after.parameters());
            }
        };
        DistributedException e = assertThrows(DistributedException.class,
                () -> new EpochStages(new BarrierTraining(broken, dropping)::run, steps, EPOCHS, 1).run(start(), EPOCHS, log));
        assertTrue(e.getMessage().startsWith("partition 1 (examples 512-1023): "), e.getMessage());
        assertTrue(e.getMessage().contains("label 9 at index"), e.getMessage());
        assertEquals(List.of("epoch end 1 (10 losses)", "epoch end 2 (10 losses)", "retry 2 attempt 1: " + e.getMessage()), log.events,
                "both reports reached the driver before the failure, and the rerun started from the second");
        assertArrayEquals(twoClean.parameters(), reported.get(1), "epoch 2's report is the clean run's state after 2 epochs");

        Log dying = new Log() {
            @Override
            public void epochEnded(EpochStages.State after, double[] losses) {
                throw new OutOfMemoryError("Java heap space");
            }
        };
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> new EpochStages(new BarrierTraining(spark, dropping)::run, steps, EPOCHS, 1).run(start(), EPOCHS, dying));
        assertEquals("the driver failed while handling epoch 1's report: java.lang.OutOfMemoryError: Java heap space", error.getMessage(),
                "an Error on the driver ends the run, naming the epoch, and is not retried");
        assertEquals(List.of(), dying.events);
    }

    private static int position(int[] permutation, int value) {
        for (int i = 0; i < permutation.length; i++) if (permutation[i] == value) return i;
        throw new IllegalArgumentException(value + " is not in the permutation");
    }
}
