package org.panagrad.spark;

import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.Test;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.graph.Graph;
import org.panagrad.nn.zoo.Zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's zoo models distribute: LeNet-5's gradient and HVP over 4 partitions equal the single-process ones. */
class ZooModelsTest {
    static final double SUMMATION = 1e-4;

    @Test
    void lenet5GradientAndHvpOverFourPartitionsEqualTheSingleProcessOnes() {
        ModelSpec spec = ModelSpec.zoo("lenet5");
        Shard all = TestSpark.data(48, 784, 10, 21);
        LocalLoss local = new LocalLoss(spec, all, 16);
        JavaRDD<Shard> shards = SparkData.parallelize(TestSpark.context(), SparkData.split(all.features(), all.labels(), all.width(), 4));
        SparkLoss spark = new SparkLoss(TestSpark.context(), shards, spec, new SparkLoss.Settings(16, 2, 1));
        float[] theta = local.initialParameters(3);
        assertEquals(61_706, local.dimension(), "LeNet-5's parameters");

        float[] g1 = new float[theta.length], g4 = new float[theta.length];
        double l1 = local.lossAndGradient(theta, Selection.all(), g1);
        double l4 = spark.lossAndGradient(theta, Selection.all(), g4);
        assertEquals(l1, l4, SUMMATION * l1);
        assertTrue(TestSpark.relativeError(g4, g1) < SUMMATION, "gradient differs by " + TestSpark.relativeError(g4, g1));

        float[] v = TestSpark.gaussian(theta.length, 9), h1 = new float[theta.length], h4 = new float[theta.length];
        CurvatureProduct.Kind hvp = CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE;
        try (DatasetLoss.Curvature c1 = local.curvature(theta, Selection.all(), hvp);
             DatasetLoss.Curvature c4 = spark.curvature(theta, Selection.all(), hvp)) {
            c1.apply(v, h1);
            c4.apply(v, h4);
        }
        assertTrue(TestSpark.relativeError(h4, h1) < SUMMATION, "HVP differs by " + TestSpark.relativeError(h4, h1));
    }

    @Test
    void theEvaluationModeLossReadsTheRunningStatisticsSetOnTheDriver() {
        ModelSpec spec = ModelSpec.zoo("resnet8");
        Shard all = TestSpark.data(16, 784, 10, 23);
        LocalLoss local = new LocalLoss(spec, all, 16);
        SparkLoss spark = new SparkLoss(TestSpark.context(), SparkData.parallelize(TestSpark.context(),
                SparkData.split(all.features(), all.labels(), all.width(), 2)), spec, new SparkLoss.Settings(16, 2, 1));
        float[] theta = local.initialParameters(3), buffers = local.initialBuffers(3);
        double before = spark.loss(theta, Selection.all());
        for (int i = 0; i < buffers.length; i++) buffers[i] = buffers[i] * 1.5f + 0.1f; // variances stay positive
        local.setBuffers(buffers);
        spark.setBuffers(buffers);
        double l1 = local.loss(theta, Selection.all()), l2 = spark.loss(theta, Selection.all());
        assertEquals(l1, l2, SUMMATION * l1);
        assertTrue(Math.abs(l2 - before) > 1e-3 * before, "the running statistics changed the loss: " + before + " and " + l2);
    }

    @Test
    void everyZooModelIsAClassifierOfMnistImages() {
        for (String name : Zoo.names()) {
            ModelSpec spec = name.equals(ModelZoo.MLP) ? ModelSpec.mlp(org.panagrad.nn.Activation.RELU, 784, 500, 10) : ModelSpec.zoo(name);
            Classifier c = ModelZoo.build(spec, new Graph());
            assertEquals(784, c.inputWidth(), name);
            assertEquals(10, c.classes(), name);
            assertTrue(!c.parameters().isEmpty(), name);
        }
    }
}
