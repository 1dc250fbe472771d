package org.panagrad.spark.cli;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.panagrad.io.Dataset;
import org.panagrad.io.Mnist;
import org.panagrad.io.MnistFiles;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Mlp;
import org.panagrad.spark.ModelSpec;
import org.panagrad.spark.ModelZoo;
import org.panagrad.spark.Sessions;
import org.panagrad.spark.Shard;
import org.panagrad.spark.SparkData;
import org.panagrad.spark.SparkLoss;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where and how to run: the Spark master, the partitioning, the data and the model, shared by every command. */
final class ClusterOptions {
    @Option(names = "--master", defaultValue = "local[2]",
            description = "Spark master URL: local[N], spark://HOST:PORT, ... (default: ${DEFAULT-VALUE}).")
    String master;

    @Option(names = "--partitions", defaultValue = "2", description = "Partitions of the training set (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--tree-depth", defaultValue = "2", description = "Levels of treeAggregate (default: ${DEFAULT-VALUE}).")
    int treeDepth;

    @Option(names = "--chunk", defaultValue = "1000",
            description = "Examples per compiled program run on an executor (default: ${DEFAULT-VALUE}).")
    int chunk;

    @Option(names = "--executor-threads", defaultValue = "1",
            description = "Kernel threads per task (default: ${DEFAULT-VALUE}: Spark runs a task per core).")
    int executorThreads;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting, e.g. --conf spark.executor.memory=2g.")
    Map<String, String> conf = new LinkedHashMap<>();

    @Option(names = "--executor-timeout", defaultValue = "120",
            description = "Seconds to wait for a standalone cluster's first executor (default: ${DEFAULT-VALUE}).")
    int executorTimeout;

    @Option(names = "--read-on-executors",
            description = "Executors read the IDX files themselves from --data (a path they all see) instead of the driver parallelising them.")
    boolean readOnExecutors;

    @Option(names = "--data", paramLabel = "DIR", description = "The MNIST IDX files (default: $MNIST_DIR, ./data/mnist, ../shared/data/mnist).")
    Path data;

    @Option(names = "--samples", paramLabel = "N", description = "Use the first N training images (default: all).")
    Integer samples;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "mlp",
            description = "The engine's zoo model: mlp, lenet5, resnet8 or vit-tiny (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--layers", defaultValue = "784-500-10", description = "MLP widths (default: ${DEFAULT-VALUE}).")
    String layers;

    @Option(names = "--activation", defaultValue = "relu", description = "relu, tanh or sigmoid (default: ${DEFAULT-VALUE}).")
    String activation;

    ModelSpec spec() {
        return model.equals(ModelZoo.MLP) ? ModelSpec.mlp(Activation.parse(activation), Mlp.parseWidths(layers)) : ModelSpec.zoo(model);
    }

    SparkLoss.Settings settings() {
        return new SparkLoss.Settings(chunk, treeDepth, executorThreads);
    }

    /** The data, the context and the distributed loss; close() stops the context. */
    Cluster open(String appName) throws IOException {
        MnistFiles files = MnistFiles.locate(data);
        if (partitions < 1) throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        Map<String, String> sparkConf = new LinkedHashMap<>(conf);
        sparkConf.putIfAbsent("spark.ui.enabled", "false");
        // Spark first: a --master that cannot be used fails before seconds of reading the data.
        JavaSparkContext sc = Sessions.start(master, appName, sparkConf, executorTimeout);
        try {
            Mnist mnist = Mnist.load(files);
            Dataset train = mnist.train();
            int n = samples == null ? train.count() : samples;
            if (n < 1 || n > train.count()) {
                throw new IllegalArgumentException("--samples must be between 1 and " + train.count() + ", got " + n);
            }
            int width = train.pixelsPerImage();
            // The first n images, without a copy when they are all of them.
            Shard trainAll = n == train.count() ? new Shard(0, 0, n, width, train.images(), train.labels())
                    : Shard.slice(0, train.images(), train.labels(), width, 0, n);
            JavaRDD<Shard> shards = readOnExecutors
                    ? SparkData.readOnExecutors(sc, files.trainImages().toAbsolutePath(), files.trainLabels().toAbsolutePath(), n, partitions)
                    : SparkData.parallelize(sc, SparkData.split(trainAll.features(), trainAll.labels(), width, partitions));
            Dataset t = mnist.test();
            Shard test = new Shard(0, 0, t.count(), width, t.images(), t.labels());
            return new Cluster(sc, new SparkLoss(sc, shards, spec(), settings()), trainAll, test);
        } catch (RuntimeException | IOException e) {
            sc.stop();
            throw e;
        }
    }

    /** A running context and what the commands use of it. */
    record Cluster(JavaSparkContext context, SparkLoss loss, Shard train, Shard test) implements AutoCloseable {
        @Override
        public void close() {
            context.stop();
        }
    }
}
