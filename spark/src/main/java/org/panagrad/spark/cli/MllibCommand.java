package org.panagrad.spark.cli;

import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.panagrad.optim.secondorder.Lbfgs;
import org.panagrad.spark.DatasetFunction;
import org.panagrad.spark.Selection;
import org.panagrad.spark.Shard;
import org.panagrad.spark.ShardEvaluator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Spark MLlib's MultilayerPerceptronClassifier (l-bfgs) against Panagrad's distributed L-BFGS on the same Spark
 * context, partitions and data, for the same number of iterations, after untimed warm-up iterations of both, in
 * rounds whose order alternates: time per iteration, each round's ratio and the medians, and test accuracy. MLlib's MLP has sigmoid hidden layers, so Panagrad runs the same architecture (--activation sigmoid).
 * Prints which BLAS MLlib's matrix products ran on (netlib's native JNI wrapper over the system's libblas.so.3,
 * or its Java fallback).
 */
@Command(name = "mllib", mixinStandardHelpOptions = true, sortOptions = false,
        description = "MLlib's MultilayerPerceptronClassifier (l-bfgs) against Panagrad's distributed L-BFGS, same iterations.")
final class MllibCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ClusterOptions cluster;

    @Option(names = "--iterations", defaultValue = "20", description = "L-BFGS iterations on both sides (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--rounds", defaultValue = "1", description = "Alternating rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--warmup", defaultValue = "2",
            description = "Untimed iterations of each side before the rounds: the JIT, Panagrad's executor compilation, MLlib's "
                    + "first BLAS calls (default: ${DEFAULT-VALUE}; 0 times them in round 1).")
    int warmup;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of both sides' initialisation (default: ${DEFAULT-VALUE}).")
    long seed;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        cluster.activation = "sigmoid";
        try (ClusterOptions.Cluster c = cluster.open("panagrad vs mllib")) {
            SparkSession session = SparkSession.builder().sparkContext(c.context().sc()).getOrCreate();
            Dataset<Row> train = frame(session, c, c.train()).cache(), test = frame(session, c, c.test()).cache();
            train.count();
            test.count();
            out.printf(Locale.ROOT, "784-500-10 sigmoid on %,d images, %d partitions, %s; %d L-BFGS iterations each%n",
                    c.train().count(), cluster.partitions, cluster.master, iterations);
            out.println("MLlib BLAS: " + blas());
            out.flush();
            int[] widths = org.panagrad.nn.Mlp.parseWidths(cluster.layers);
            if (warmup > 0) {
                long t = System.nanoTime();
                mlp(widths, warmup).fit(train);
                double mllibWarm = HessianCommand.seconds(t);
                t = System.nanoTime();
                Lbfgs warm = Lbfgs.minimizing(new DatasetFunction(c.loss(), Selection.all(), c.loss().initialParameters(seed)),
                        DatasetFunction.lbfgsOptions(10));
                for (int i = 0; i < warmup; i++) warm.step();
                out.printf(Locale.ROOT, "warm-up, untimed: %d iterations each, MLlib %.1f s, Panagrad %.1f s%n", warmup, mllibWarm,
                        HessianCommand.seconds(t));
                out.flush();
            }
            List<Double> mllibPer = new ArrayList<>(), oursPer = new ArrayList<>(), ratios = new ArrayList<>();
            for (int r = 1; r <= rounds; r++) { // odd rounds MLlib first, even rounds Panagrad first: drift in the load cancels
                double mllib, ours;
                if (r % 2 == 1) {
                    mllib = mllibRound(out, r, widths, train, test);
                    ours = panagradRound(out, r, c);
                } else {
                    ours = panagradRound(out, r, c);
                    mllib = mllibRound(out, r, widths, train, test);
                }
                mllibPer.add(mllib);
                oursPer.add(ours);
                ratios.add(mllib / ours);
                out.printf(Locale.ROOT, "round %d: Panagrad %.2fx faster per iteration%n", r, mllib / ours);
                out.flush();
            }
            out.printf(Locale.ROOT, "per iteration, medians of %d rounds: MLlib %.0f ms, Panagrad %.0f ms; Panagrad %.1fx faster (rounds: %s)%n",
                    rounds, BenchCommand.med(mllibPer), BenchCommand.med(oursPer), BenchCommand.med(ratios),
                    String.join(", ", ratios.stream().map(x -> String.format(Locale.ROOT, "%.2fx", x)).toList()));
        }
        return 0;
    }

    /** One timed MLlib fit of --iterations iterations; returns its ms per iteration (its setup included). */
    private double mllibRound(PrintWriter out, int r, int[] widths, Dataset<Row> train, Dataset<Row> test) {
        long t = System.nanoTime();
        MultilayerPerceptronClassificationModel model = mlp(widths, iterations).fit(train);
        double seconds = HessianCommand.seconds(t);
        double[] history = model.summary().objectiveHistory();
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(model.transform(test));
        int done = Math.max(1, history.length - 1);
        out.printf(Locale.ROOT, "round %d MLlib:    %d iterations in %.1f s = %.0f ms per iteration, loss %.4f -> %.4f, test accuracy %.2f%%%n",
                r, done, seconds, 1e3 * seconds / done, history[0], history[history.length - 1], 100 * accuracy);
        out.flush();
        return 1e3 * seconds / done;
    }

    /** One timed run of --iterations iterations of Panagrad's distributed L-BFGS; returns its ms per iteration. */
    private double panagradRound(PrintWriter out, int r, ClusterOptions.Cluster c) {
        float[] theta = c.loss().initialParameters(seed);
        long t = System.nanoTime();
        DatasetFunction function = new DatasetFunction(c.loss(), Selection.all(), theta);
        Lbfgs lbfgs = Lbfgs.minimizing(function, DatasetFunction.lbfgsOptions(10));
        double first = Double.NaN;
        for (int i = 0; i < iterations; i++) {
            double f = lbfgs.step();
            if (i == 0) first = f;
        }
        double seconds = HessianCommand.seconds(t);
        ShardEvaluator eval = new ShardEvaluator(cluster.spec(), cluster.chunk);
        eval.setParameters(function.parameters());
        Shard testShard = c.test();
        out.printf(Locale.ROOT, "round %d Panagrad: %d iterations in %.1f s = %.0f ms per iteration (%d gradient evaluations), loss %.4f -> %.4f, test accuracy %.2f%%%n",
                r, iterations, seconds, 1e3 * seconds / iterations, function.evaluations(), first, lbfgs.lastLoss(),
                100.0 * eval.correct(testShard) / testShard.count());
        out.flush();
        return 1e3 * seconds / iterations;
    }

    /** MLlib's classifier for {@code iterations} L-BFGS iterations (tolerance 0, so it runs them all). */
    private MultilayerPerceptronClassifier mlp(int[] widths, int iterations) {
        return new MultilayerPerceptronClassifier().setLayers(widths).setSolver("l-bfgs").setMaxIter(iterations).setTol(0).setSeed(seed);
    }

    private Dataset<Row> frame(SparkSession session, ClusterOptions.Cluster c, Shard shard) {
        List<Row> rows = new ArrayList<>(shard.count());
        int w = shard.width();
        for (int i = 0; i < shard.count(); i++) {
            double[] x = new double[w];
            for (int j = 0; j < w; j++) x[j] = shard.features()[i * w + j];
            rows.add(RowFactory.create((double) shard.labels()[i], Vectors.dense(x)));
        }
        StructType schema = new StructType().add("label", DataTypes.DoubleType).add("features", new VectorUDT());
        return session.createDataFrame(c.context().parallelize(rows, cluster.partitions), schema);
    }

    /** Which implementations netlib (MLlib's BLAS) loaded: the native one wraps the system's libblas.so.3. */
    static String blas() {
        String nativeBlas;
        try {
            nativeBlas = dev.ludovic.netlib.blas.NativeBLAS.getInstance().getClass().getName();
        } catch (Throwable e) {
            nativeBlas = "none (" + e.getMessage() + ")";
        }
        return "native " + nativeBlas + "; Java " + dev.ludovic.netlib.blas.JavaBLAS.getInstance().getClass().getName()
                + " (MLlib's MLP uses the native one when it loads, else the Java one); OPENBLAS_NUM_THREADS="
                + System.getenv("OPENBLAS_NUM_THREADS") + ", OPENBLAS_CORETYPE=" + System.getenv("OPENBLAS_CORETYPE");
    }
}
