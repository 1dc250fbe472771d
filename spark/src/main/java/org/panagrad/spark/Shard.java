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

    /**
     * A checksum of what the shard holds (CRC-32C of its labels, then of its features' bits, with the width and
     * count), so that a resumed run can tell whether it trains on the same data, wherever the files now lie.
     */
    public String checksum() {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(1 << 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(count).putInt(width).flip();
        crc.update(buffer);
        for (int i = 0; i < labels.length; ) {
            buffer.clear();
            int n = Math.min(labels.length - i, buffer.capacity() / 4);
            buffer.asIntBuffer().put(labels, i, n);
            buffer.limit(4 * n);
            crc.update(buffer);
            i += n;
        }
        for (int i = 0; i < features.length; ) {
            buffer.clear();
            int n = Math.min(features.length - i, buffer.capacity() / 4);
            buffer.asFloatBuffer().put(features, i, n);
            buffer.limit(4 * n);
            crc.update(buffer);
            i += n;
        }
        return String.format("crc32c %08x", crc.getValue());
    }

    /** The global example range [start, start + count), for messages. */
    public String describe() {
        return "partition " + partition + " (examples " + start + "-" + (start + count - 1) + ")";
    }
}
