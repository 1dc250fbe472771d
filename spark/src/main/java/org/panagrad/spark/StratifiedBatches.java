package org.panagrad.spark;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Mini-batches for data-parallel training, as PyTorch's DistributedSampler forms them: every epoch, each
 * partition shuffles its own examples (seeded by the seed, the epoch and the partition), and global batch t is
 * the union of every partition's t-th slice, partition p contributing its share b_p of the global batch B (B
 * split in proportion to the partitions' sizes). A partition's slice has the same size at every step, so each
 * executor runs one compiled program size; single-process training over the same batches is the reference.
 */
public final class StratifiedBatches implements Serializable {
    private static final long serialVersionUID = 1L;

    private final long[] starts;
    private final int[] counts, shares;
    private final long seed;
    private final int stepsPerEpoch;
    private transient long cachedEpoch = -1;
    private transient int[][] permutations;

    /** The partitions' first global indices and sizes, as {@link SparkLoss#layout()} reports them. */
    public StratifiedBatches(long[] starts, int[] counts, int batch, long seed) {
        long total = 0;
        for (int c : counts) total += c;
        if (batch < 1 || batch > total) {
            throw new IllegalArgumentException("the batch must be between 1 and the " + total + " examples, got " + batch);
        }
        this.starts = starts.clone();
        this.counts = counts.clone();
        this.seed = seed;
        this.shares = new int[counts.length];
        int given = 0;
        for (int p = 0; p < counts.length; p++) {
            shares[p] = (int) ((long) batch * counts[p] / total);
            given += shares[p];
        }
        for (int p = 0; given < batch; p = (p + 1) % counts.length) {
            if (shares[p] < counts[p]) {
                shares[p]++;
                given++;
            }
        }
        int steps = Integer.MAX_VALUE;
        for (int p = 0; p < counts.length; p++) if (shares[p] > 0) steps = Math.min(steps, counts[p] / shares[p]);
        this.stepsPerEpoch = steps;
    }

    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** The global batch of this step: examples numbered by their global index. */
    public Selection batch(long epoch, int step) {
        if (step < 0 || step >= stepsPerEpoch) {
            throw new IllegalArgumentException("step " + step + " is outside the epoch's " + stepsPerEpoch + " steps");
        }
        if (permutations == null || epoch != cachedEpoch) {
            permutations = new int[counts.length][];
            for (int p = 0; p < counts.length; p++) permutations[p] = localPermutation(seed, epoch, p, counts[p]);
            cachedEpoch = epoch;
        }
        int total = 0;
        for (int s : shares) total += s;
        long[] indices = new long[total];
        int k = 0;
        for (int p = 0; p < counts.length; p++) {
            slice(starts[p], permutations[p], step, shares[p], indices, k);
            k += shares[p];
        }
        return Selection.indices(indices);
    }

    /** Partition p's examples per global batch. */
    public int share(int partition) {
        return shares[partition];
    }

    public int partitions() {
        return shares.length;
    }

    public long seed() {
        return seed;
    }

    /** A partition's slice of step {@code step} under its epoch's permutation, as global indices, into out[at...]. */
    static void slice(long start, int[] permutation, int step, int share, long[] out, int at) {
        for (int i = 0; i < share; i++) out[at + i] = start + permutation[step * share + i];
    }

    /** Partition p's shuffle of its {@code count} examples in this epoch (Fisher-Yates), the same on every JVM. */
    static int[] localPermutation(long seed, long epoch, int partition, int count) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + partition);
        int[] perm = new int[count];
        for (int i = 0; i < count; i++) perm[i] = i;
        for (int i = count - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }
}
