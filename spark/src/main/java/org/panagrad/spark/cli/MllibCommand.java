package org.panagrad.spark.cli;

import org.apache.spark.api.java.JavaSparkContext;
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
 * Fewer evaluations per iteration must not buy worse iterations, so it also runs Panagrad for as long as MLlib's
 * median round took and reports the loss and accuracy it reached then, next to MLlib's after its iterations.
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
            List<Double> mllibSeconds = new ArrayList<>(), mllibLoss = new ArrayList<>(), mllibAccuracy = new ArrayList<>();
            for (int r = 1; r <= rounds; r++) { // odd rounds MLlib first, even rounds Panagrad first: drift in the load cancels
                Round mllib, ours;
                if (r % 2 == 1) {
                    mllib = mllibRound(out, r, widths, train, test, c.context());
                    ours = panagradRound(out, r, c);
                } else {
                    ours = panagradRound(out, r, c);
                    mllib = mllibRound(out, r, widths, train, test, c.context());
                }
                mllibPer.add(mllib.msPerIteration());
                oursPer.add(ours.msPerIteration());
                ratios.add(mllib.msPerIteration() / ours.msPerIteration());
                mllibSeconds.add(mllib.msPerIteration() * iterations / 1e3);
                mllibLoss.add(mllib.loss());
                mllibAccuracy.add(mllib.accuracy());
                out.printf(Locale.ROOT, "round %d: Panagrad %.2fx faster per iteration%n", r, mllib.msPerIteration() / ours.msPerIteration());
                out.flush();
            }
            out.printf(Locale.ROOT, "per iteration, medians of %d rounds: MLlib %.0f ms, Panagrad %.0f ms; Panagrad %.1fx faster (rounds: %s)%n",
                    rounds, BenchCommand.med(mllibPer), BenchCommand.med(oursPer), BenchCommand.med(ratios),
                    String.join(", ", ratios.stream().map(x -> String.format(Locale.ROOT, "%.2fx", x)).toList()));
            out.flush();
            sameWallTime(out, c, BenchCommand.med(mllibSeconds), BenchCommand.med(mllibLoss), BenchCommand.med(mllibAccuracy));
        }
        return 0;
    }

    /** A timed run of one side: its time per iteration, the loss it ended at and its test accuracy (%). */
    private record Round(double msPerIteration, double loss, double accuracy) {
    }

    /**
     * Panagrad's L-BFGS from the same start for {@code seconds} (MLlib's median round): the loss and test accuracy of
     * the last iteration that ended within that time, against MLlib's after its --iterations.
     */
    private void sameWallTime(PrintWriter out, ClusterOptions.Cluster c, double seconds, double mllibLoss, double mllibAccuracy) {
        DatasetFunction function = new DatasetFunction(c.loss(), Selection.all(), c.loss().initialParameters(seed));
        Lbfgs lbfgs = Lbfgs.minimizing(function, DatasetFunction.lbfgsOptions(10));
        float[] within = function.parameters().clone();
        double loss = Double.NaN;
        int done = 0;
        long evaluations = 0;
        long t = System.nanoTime();
        for (int i = 0; i < 100 * iterations && HessianCommand.seconds(t) < seconds; i++) {
            lbfgs.step();
            if (HessianCommand.seconds(t) > seconds) break; // this iteration ended after MLlib's time
            done++;
            evaluations = function.evaluations(); // not the next iteration's, which ends after MLlib's time
            loss = lbfgs.lastLoss();
            System.arraycopy(function.parameters(), 0, within, 0, within.length);
        }
        out.printf(Locale.ROOT, "in MLlib's median time for %d iterations (%.1f s): MLlib loss %.4f, test accuracy %.2f%%; "
                        + "Panagrad %d iterations (%d gradient evaluations), loss %.4f, test accuracy %.2f%%%n",
                iterations, seconds, mllibLoss, mllibAccuracy, done, evaluations, loss, accuracy(c, within));
        out.flush();
    }

    private double accuracy(ClusterOptions.Cluster c, float[] theta) {
        ShardEvaluator eval = new ShardEvaluator(cluster.spec(), cluster.chunk);
        eval.setParameters(theta);
        return 100.0 * eval.correct(c.test()) / c.test().count();
    }

    /** One timed MLlib fit of --iterations iterations (its setup included). */
    private Round mllibRound(PrintWriter out, int r, int[] widths, Dataset<Row> train, Dataset<Row> test, JavaSparkContext sc) {
        String group = "mllib round " + r;
        sc.setJobGroup(group, group, false);
        long t = System.nanoTime();
        MultilayerPerceptronClassificationModel model;
        try {
            model = mlp(widths, iterations).fit(train);
        } finally {
            sc.clearJobGroup();
        }
        double seconds = HessianCommand.seconds(t);
        int jobs = sc.statusTracker().getJobIdsForGroup(group).length;
        double[] history = model.summary().objectiveHistory();
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(model.transform(test));
        int done = Math.max(1, history.length - 1);
        out.printf(Locale.ROOT, "round %d MLlib:    %d iterations in %.1f s = %.0f ms per iteration (%d Spark jobs: its gradient evaluations "
                        + "and set-up), loss %.4f -> %.4f, test accuracy %.2f%%%n",
                r, done, seconds, 1e3 * seconds / done, jobs, history[0], history[history.length - 1], 100 * accuracy);
        out.flush();
        return new Round(1e3 * seconds / done, history[history.length - 1], 100 * accuracy);
    }

    /** One timed run of --iterations iterations of Panagrad's distributed L-BFGS. */
    private Round panagradRound(PrintWriter out, int r, ClusterOptions.Cluster c) {
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
        double accuracy = accuracy(c, function.parameters());
        out.printf(Locale.ROOT, "round %d Panagrad: %d iterations in %.1f s = %.0f ms per iteration (%d gradient evaluations), loss %.4f -> %.4f, test accuracy %.2f%%%n",
                r, iterations, seconds, 1e3 * seconds / iterations, function.evaluations(), first, lbfgs.lastLoss(), accuracy);
        out.flush();
        return new Round(1e3 * seconds / iterations, lbfgs.lastLoss(), accuracy);
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
