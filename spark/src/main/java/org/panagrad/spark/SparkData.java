package org.panagrad.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.panagrad.io.Dataset;
import org.panagrad.io.Mnist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Distributed data sets of {@link Shard}s: one shard per partition, cached in memory as packed float arrays, so
 * every later job reads them in place. Examples are split into contiguous ranges as even as possible (sizes
 * differ by at most one); a partition may be empty when there are more partitions than examples.
 */
public final class SparkData {
    private SparkData() {}

    /** Examples [from, to) of partition p when n examples are split over the given number of partitions. */
    static int boundary(int n, int partitions, int p) {
        return (int) ((long) n * p / partitions);
    }

    /** The shards of a data set held in memory, as the single-process path and the driver-side read split it. */
    public static List<Shard> split(float[] features, int[] labels, int width, int partitions) {
        if (partitions < 1) throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        List<Shard> shards = new ArrayList<>();
        int n = labels.length;
        for (int p = 0; p < partitions; p++) {
            shards.add(Shard.slice(p, features, labels, width, boundary(n, partitions, p), boundary(n, partitions, p + 1)));
        }
        return shards;
    }

    /** Read on the driver, split, and parallelised: the shards travel to the executors once, then stay cached. */
    public static JavaRDD<Shard> parallelize(JavaSparkContext sc, Dataset data, int partitions) {
        return parallelize(sc, split(data.images(), data.labels(), data.pixelsPerImage(), partitions));
    }

    public static JavaRDD<Shard> parallelize(JavaSparkContext sc, List<Shard> shards) {
        return cached(sc.parallelize(shards, shards.size()));
    }

    /**
     * Caches the shards and cuts their lineage. A parallelised collection's partitions carry their data, and
     * every task of every later job would ship it again (92 MB per task for half of MNIST) even though the
     * blocks are cached; after a local checkpoint, tasks name the cached blocks only.
     */
    private static JavaRDD<Shard> cached(JavaRDD<Shard> rdd) {
        rdd.persist(StorageLevel.MEMORY_ONLY());
        rdd.rdd().localCheckpoint();
        rdd.count(); // materialise now, so that the first operation's time is its own
        return rdd;
    }

    /**
     * Read by each executor from a path every executor sees (a shared file system): partition p reads the IDX
     * files and keeps its range. The files are gzip-compressed or small enough that each reader decodes them
     * whole; only the range is kept.
     */
    public static JavaRDD<Shard> readOnExecutors(JavaSparkContext sc, Path images, Path labels, int count, int partitions) {
        if (partitions < 1) throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        List<Integer> ids = new ArrayList<>();
        for (int p = 0; p < partitions; p++) ids.add(p);
        String imagePath = images.toString(), labelPath = labels.toString();
        JavaRDD<Shard> rdd = sc.parallelize(ids, partitions).map(p -> {
            Dataset d;
            try {
                d = Mnist.loadSet(Path.of(imagePath), Path.of(labelPath));
            } catch (IOException e) {
                throw new UncheckedIOException("partition " + p + ": " + e.getMessage(), e);
            }
            int n = Math.min(count, d.count());
            return Shard.slice(p, d.images(), d.labels(), d.pixelsPerImage(), boundary(n, partitions, p),
                    boundary(n, partitions, p + 1));
        });
        return cached(rdd);
    }
}
