package org.panagrad.spark;

import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class SparkDataTest {
    @Test
    void executorsReadingTheIdxFilesBuildTheShardsTheDriverWould(@TempDir Path dir) throws IOException {
        int n = 37, rows = 3, cols = 4;
        byte[] pixels = new byte[n * rows * cols];
        byte[] labels = new byte[n];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) (i * 7);
        for (int i = 0; i < n; i++) labels[i] = (byte) (i % 10);
        Path images = dir.resolve("images.idx3-ubyte"), labelFile = dir.resolve("labels.idx1-ubyte");
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(images))) {
            out.writeInt(0x00000803);
            out.writeInt(n);
            out.writeInt(rows);
            out.writeInt(cols);
            out.write(pixels);
        }
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(labelFile))) {
            out.writeInt(0x00000801);
            out.writeInt(n);
            out.write(labels);
        }
        JavaRDD<Shard> read = SparkData.readOnExecutors(TestSpark.context(), images, labelFile, 30, 4);
        List<Shard> shards = read.collect().stream().sorted(Comparator.comparingInt(Shard::partition)).toList();
        assertEquals(4, shards.size());
        long next = 0;
        for (Shard s : shards) {
            assertEquals(next, s.start(), "shards are contiguous ranges of the first 30 examples");
            for (int i = 0; i < s.count(); i++) {
                long g = s.start() + i;
                assertEquals(labels[(int) g], s.labels()[i]);
                for (int j = 0; j < rows * cols; j++) {
                    assertEquals((pixels[(int) g * rows * cols + j] & 0xFF) / 255f, s.features()[i * rows * cols + j]);
                }
            }
            next += s.count();
        }
        assertEquals(30, next);
        assertArrayEquals(new int[] {7, 8, 7, 8}, shards.stream().mapToInt(Shard::count).toArray());
    }
}
