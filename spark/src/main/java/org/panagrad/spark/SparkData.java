package org.panagrad.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
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

    /**
     * Each shard travels as its own broadcast (in blocks of a few MB, fetched only by the executor that builds
     * that partition), not inside a task: a task is one RPC message, at most spark.rpc.message.maxSize (128 MB),
     * and a partition of 60,000 MNIST images is 188 MB. The executors drop their copies of the broadcasts
     * once the partitions are cached.
     */
    public static JavaRDD<Shard> parallelize(JavaSparkContext sc, List<Shard> shards) {
        List<Broadcast<Shard>> pieces = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        for (Shard s : shards) {
            ids.add(pieces.size());
            pieces.add(sc.broadcast(s));
        }
        JavaRDD<Shard> rdd = cached(sc.parallelize(ids, shards.size()).map(i -> pieces.get(i).value()));
        // The executors' copies go; the driver keeps its own, because every task still serializes the RDD's
        // function, which names the broadcasts, and a destroyed broadcast cannot be serialized.
        for (Broadcast<Shard> b : pieces) b.unpersist();
        return rdd;
    }

    /**
     * Caches the shards and cuts their lineage (a local checkpoint): later tasks name the cached blocks, and
     * nothing that built them (a parallelised collection's partitions carry their data; before this, every task
     * of every job re-shipped 92 MB for half of MNIST) is kept or re-sent.
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
