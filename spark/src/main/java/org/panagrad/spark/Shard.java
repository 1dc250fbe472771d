package org.panagrad.spark;

import java.io.Serializable;

/**
 * One partition's examples, packed: {@code count} feature rows of {@code width} floats, row after row, and their
 * class labels. {@code start} is the global index of the first example, which sampling and batch selection use so
 * that a partition picks the same examples whatever the partitioning. An empty shard (count 0) is allowed.
 */
public record Shard(int partition, long start, int count, int width, float[] features, int[] labels)
        implements Serializable {
    public Shard {
        if (count < 0 || width < 1) {
            throw new IllegalArgumentException("a shard needs count >= 0 and width >= 1, got " + count + " and " + width);
        }
        if (features.length != (long) count * width || labels.length != count) {
            throw new IllegalArgumentException("shard " + partition + ": " + count + " examples of width " + width
                    + " need " + (long) count * width + " features and " + count + " labels, got " + features.length
                    + " and " + labels.length);
        }
    }

    /** Examples [from, to) of a data set held as flat arrays, as the shard of partition {@code partition}. */
    public static Shard slice(int partition, float[] features, int[] labels, int width, int from, int to) {
        float[] f = new float[(to - from) * width];
        System.arraycopy(features, from * width, f, 0, f.length);
        int[] l = new int[to - from];
        System.arraycopy(labels, from, l, 0, l.length);
        return new Shard(partition, from, to - from, width, f, l);
    }

    /** The global example range [start, start + count), for messages. */
    public String describe() {
        return "partition " + partition + " (examples " + start + "-" + (start + count - 1) + ")";
    }
}
