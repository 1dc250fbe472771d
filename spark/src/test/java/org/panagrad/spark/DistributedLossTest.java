package org.panagrad.spark;

import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.HutchinsonTrace;
import org.panagrad.analysis.PowerIteration;
import org.panagrad.analysis.SpectralQuadrature;
import org.panagrad.analysis.StochasticLanczosQuadrature;
import org.panagrad.analysis.TraceEstimate;
import org.panagrad.nn.Activation;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Four partitions on local[2] against one process: the same numbers up to float summation order. */
class DistributedLossTest {
    static final ModelSpec SPEC = ModelSpec.mlp(Activation.TANH, 24, 16, 5);
    static final int N = 403, CHUNK = 64;
    /** Float32 sums of a few hundred terms in another order: a few units in the 6th-7th digit. */
    static final double SUMMATION = 2e-5;

    static Shard all;
    static LocalLoss local;
    static SparkLoss spark;
    static float[] theta;

    @BeforeAll
    static void setUp() {
        all = TestSpark.data(N, 24, 5, 11);
        local = new LocalLoss(SPEC, all, CHUNK);
        JavaRDD<Shard> shards = SparkData.parallelize(TestSpark.context(),
                SparkData.split(all.features(), all.labels(), all.width(), 4));
        spark = new SparkLoss(TestSpark.context(), shards, SPEC, new SparkLoss.Settings(CHUNK, 2, 1));
        theta = local.initialParameters(3);
    }

    @Test
    void lossAndGradientEqualTheSingleProcessOnes() {
        for (Selection s : List.of(Selection.all(), Selection.sample(0.3, 5), Selection.indices(0, 7, 101, 102, 399, 402))) {
            float[] g1 = new float[local.dimension()], g4 = new float[local.dimension()];
            double l1 = local.lossAndGradient(theta, s, g1);
            double l4 = spark.lossAndGradient(theta, s, g4);
            assertEquals(l1, l4, SUMMATION * l1, s.toString());
            assertTrue(TestSpark.relativeError(g4, g1) < SUMMATION, s + ": gradient differs by " + TestSpark.relativeError(g4, g1));
            assertEquals(l1, spark.loss(theta, s), SUMMATION * l1);
        }
    }

    @Test
    void hessianAndGaussNewtonProductsEqualTheSingleProcessOnes() {
        float[] v = TestSpark.gaussian(local.dimension(), 9);
        for (CurvatureProduct.Kind kind : CurvatureProduct.Kind.values()) {
            float[] h1 = new float[v.length], h4 = new float[v.length];
            try (DatasetLoss.Curvature c1 = local.curvature(theta, Selection.all(), kind);
                 DatasetLoss.Curvature c4 = spark.curvature(theta, Selection.all(), kind)) {
                c1.apply(v, h1);
                c4.apply(v, h4);
            }
            assertTrue(TestSpark.relativeError(h4, h1) < SUMMATION, kind + " differs by " + TestSpark.relativeError(h4, h1));
        }
    }

    @Test
    void topEigenvalueTraceAndDensityAgreeWithTheSingleProcessOnes() {
        PowerIteration.Settings power = new PowerIteration.Settings(1, 200, 1e-7, 4);
        HutchinsonTrace.Settings hutchinson = new HutchinsonTrace.Settings(8, 0, HutchinsonTrace.StoppingRule.MEAN_CHANGE, 4);
        StochasticLanczosQuadrature.Settings lanczos = new StochasticLanczosQuadrature.Settings(1, 12, 4);
        try (DatasetLoss.Curvature h1 = local.curvature(theta, Selection.all(), CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE);
             DatasetLoss.Curvature h4 = spark.curvature(theta, Selection.all(), CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE)) {
            double top1 = PowerIteration.topEigenpairs(h1, power).eigenvalues().eigenvalues()[0];
            double top4 = PowerIteration.topEigenpairs(h4, power).eigenvalues().eigenvalues()[0];
            assertEquals(top1, top4, 1e-4 * Math.abs(top1), "top eigenvalue");
            TraceEstimate t1 = HutchinsonTrace.estimate(h1, hutchinson), t4 = HutchinsonTrace.estimate(h4, hutchinson);
            assertEquals(8, t4.samples());
            assertEquals(t1.mean(), t4.mean(), 1e-4 * Math.abs(t1.mean()), "Hutchinson trace");
            SpectralQuadrature q1 = StochasticLanczosQuadrature.run(h1, lanczos), q4 = StochasticLanczosQuadrature.run(h4, lanczos);
            assertEquals(q1.maxNode(), q4.maxNode(), 1e-4 * Math.abs(q1.maxNode()), "largest Ritz value");
        }
    }

    @Test
    void emptyPartitionsContributeNothing() {
        Shard few = TestSpark.data(5, 24, 5, 12);
        List<Shard> shards = SparkData.split(few.features(), few.labels(), 24, 8);
        assertEquals(3, shards.stream().filter(s -> s.count() == 0).count());
        SparkLoss sparse = new SparkLoss(TestSpark.context(), SparkData.parallelize(TestSpark.context(), shards), SPEC,
                new SparkLoss.Settings(CHUNK, 3, 1));
        LocalLoss one = new LocalLoss(SPEC, few, CHUNK);
        float[] g1 = new float[one.dimension()], g8 = new float[one.dimension()];
        assertEquals(one.lossAndGradient(theta, Selection.all(), g1), sparse.lossAndGradient(theta, Selection.all(), g8), 1e-6);
        assertTrue(TestSpark.relativeError(g8, g1) < SUMMATION);
        // A selection with no example in any partition is an error, not a division by zero.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sparse.loss(theta, Selection.indices(1000)));
        assertTrue(e.getMessage().contains("covers no example"), e.getMessage());
    }

    @Test
    void aThrowingPartitionFailsWithTheExecutorsMessage() {
        List<Shard> shards = new java.util.ArrayList<>(SparkData.split(all.features(), all.labels(), all.width(), 4));
        Shard bad = shards.get(2);
        int[] labels = bad.labels().clone();
        labels[7] = 9; // the model has 5 classes
        shards.set(2, new Shard(2, bad.start(), bad.count(), bad.width(), bad.features(), labels));
        SparkLoss broken = new SparkLoss(TestSpark.context(), SparkData.parallelize(TestSpark.context(), shards), SPEC,
                SparkLoss.Settings.defaults());
        RuntimeException e = assertThrows(RuntimeException.class, () -> broken.loss(theta, Selection.all()));
        assertFalse(SparkException.class.isInstance(e));
        assertTrue(e instanceof DistributedException, e.getClass().getName());
        assertTrue(e.getMessage().startsWith("partition 2 (examples 201-301): "), e.getMessage());
        assertTrue(e.getMessage().contains("label 9 at index 7 is outside [0, 5)"), e.getMessage());
    }

    @Test
    void anExecutorWhoseFingerprintDiffersFailsNamingBoth() {
        SparkLoss mismatched = new SparkLoss(TestSpark.context(), spark.shards(), SPEC, SparkLoss.Settings.defaults(),
                "00112233deadbeef");
        DistributedException e = assertThrows(DistributedException.class, () -> mismatched.loss(theta, Selection.all()));
        assertTrue(e.getMessage().contains("the driver's is 00112233deadbeef"), e.getMessage());
        assertTrue(e.getMessage().contains("this executor's is " + Fingerprint.of(SPEC)), e.getMessage());
    }

    @Test
    void executorsCompileOncePerTaskSlot() {
        // Whether a job's four tasks ever overlap on the two slots is up to the scheduler, so the first job may
        // build one evaluator and a later one the second; what holds is one per slot, however many jobs run.
        float[] g = new float[spark.dimension()];
        for (int i = 0; i < 6; i++) spark.lossAndGradient(theta, Selection.all(), g);
        int built = ExecutorModels.evaluatorsBuilt(SPEC, CHUNK);
        assertTrue(built >= 1 && built <= TestSpark.TASK_SLOTS,
                "24 tasks over " + TestSpark.TASK_SLOTS + " slots built " + built + " evaluators");
    }

    @Test
    void anUnreachableMasterFailsQuicklyNamingIt() {
        long t0 = System.nanoTime();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sessions.start("spark://127.0.0.1:1", "unreachable", Map.of(), 30));
        assertTrue((System.nanoTime() - t0) / 1e9 < 30);
        assertTrue(e.getMessage().contains("spark://127.0.0.1:1"), e.getMessage());
    }

    @Test
    void fingerprintsDependOnTheModel() {
        assertEquals(Fingerprint.of(SPEC), Fingerprint.of(ModelSpec.mlp(Activation.TANH, 24, 16, 5)));
        assertFalse(Fingerprint.of(SPEC).equals(Fingerprint.of(ModelSpec.mlp(Activation.RELU, 24, 16, 5))));
        assertFalse(Fingerprint.of(SPEC).equals(Fingerprint.of(ModelSpec.mlp(Activation.TANH, 24, 17, 5))));
    }
}
