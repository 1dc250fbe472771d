package org.panagrad.spark;

import org.apache.spark.api.java.JavaSparkContext;

import java.util.Map;
import java.util.SplittableRandom;

/** One local[2] Spark context for every test class in the JVM (starting one takes seconds), and test data. */
public final class TestSpark {
    /** The context's concurrent tasks: at most this many run on its one executor at a time. */
    static final int TASK_SLOTS = 2;
    private static JavaSparkContext context;

    private TestSpark() {}

    public static synchronized JavaSparkContext context() {
        if (context == null) {
            context = Sessions.start("local[" + TASK_SLOTS + "]", "panagrad-spark-tests", Map.of(
                    "spark.ui.enabled", "false",
                    "spark.driver.host", "127.0.0.1",
                    "spark.driver.bindAddress", "127.0.0.1"), 30);
            Runtime.getRuntime().addShutdownHook(new Thread(context::stop));
        }
        return context;
    }

    /**
     * n examples of {@code width} features in [0, 1) labelled by a random linear teacher, so that the loss has
     * structure to fit, as a single shard holding the whole set.
     */
    static Shard data(int n, int width, int classes, long seed) {
        return data(n, width, classes, seed, 0);
    }

    /** The same with a fraction of the labels replaced by random classes, so that no model fits them all. */
    static Shard data(int n, int width, int classes, long seed, double labelNoise) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] teacher = new float[width * classes];
        for (int i = 0; i < teacher.length; i++) teacher[i] = (float) rnd.nextGaussian();
        float[] x = new float[n * width];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < width; j++) x[i * width + j] = (float) rnd.nextDouble();
            for (int c = 0; c < classes; c++) {
                double s = 0;
                for (int j = 0; j < width; j++) s += x[i * width + j] * teacher[j * classes + c];
                if (s > bestScore) {
                    bestScore = s;
                    best = c;
                }
            }
            y[i] = rnd.nextDouble() < labelNoise ? rnd.nextInt(classes) : best;
        }
        return new Shard(0, 0, n, width, x, y);
    }

    static float[] gaussian(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    /** max |a - b| / max |b|: float32 summation in another order differs by a few ulps of the largest terms. */
    static double relativeError(float[] a, float[] b) {
        double diff = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return diff / scale;
    }
}
