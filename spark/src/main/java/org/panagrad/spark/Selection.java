package org.panagrad.spark;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Which examples of the data set an operation covers: all of them, a seeded random fraction (each example
 * drawn independently from a hash of the seed and its global index, so the choice does not depend on how the
 * data is partitioned), or explicit global indices. Partitions and the single-process path select the same
 * examples.
 */
public sealed interface Selection extends Serializable {
    /** Rows of the shard [start, start + count) that are selected, as local indices in increasing order; null: all. */
    int[] rows(long start, int count);

    static Selection all() {
        return All.INSTANCE;
    }

    static Selection sample(double fraction, long seed) {
        return new Sample(fraction, seed);
    }

    /** These global indices (sorted and deduplicated here). */
    static Selection indices(long... globalIndices) {
        long[] sorted = Arrays.stream(globalIndices).sorted().distinct().toArray();
        return new Indices(sorted);
    }

    record All() implements Selection {
        static final All INSTANCE = new All();

        @Override
        public int[] rows(long start, int count) {
            return null;
        }
    }

    record Sample(double fraction, long seed) implements Selection {
        public Sample {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("a sampled fraction must be in (0, 1], got " + fraction);
            }
        }

        @Override
        public int[] rows(long start, int count) {
            int[] out = new int[count];
            int n = 0;
            for (int i = 0; i < count; i++) if (includes(start + i)) out[n++] = i;
            return Arrays.copyOf(out, n);
        }

        /** SplitMix64's finalizer of (seed, index), as a uniform double in [0, 1). */
        boolean includes(long index) {
            long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            return (z >>> 11) * 0x1.0p-53 < fraction;
        }
    }

    record Indices(long[] sorted) implements Selection {
        @Override
        public int[] rows(long start, int count) {
            int from = lowerBound(start), to = lowerBound(start + count);
            int[] out = new int[to - from];
            for (int i = from; i < to; i++) out[i - from] = (int) (sorted[i] - start);
            return out;
        }

        private int lowerBound(long key) {
            int i = Arrays.binarySearch(sorted, key);
            return i >= 0 ? i : -i - 1;
        }

        public int size() {
            return sorted.length;
        }
    }
}
