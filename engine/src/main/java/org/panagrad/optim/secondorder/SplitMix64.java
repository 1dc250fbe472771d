package org.panagrad.optim.secondorder;

import org.panagrad.kernels.CounterHash;

/**
 * The generator behind {@link java.util.SplittableRandom} (Steele, Lea and Flood, 2014) on a plain long:
 * {@code nextInt()} after {@code reset(s)} yields exactly what {@code new SplittableRandom(s).nextInt()} does,
 * but restarting a stream is an assignment, not an allocation, so a training step can start one per step.
 */
final class SplitMix64 {
    private static final long GOLDEN_GAMMA = CounterHash.GOLDEN_GAMMA;

    private long state;

    SplitMix64(long seed) {
        reset(seed);
    }

    /** Starts over: the next values are those of {@code new SplittableRandom(seed)}. */
    void reset(long seed) {
        state = seed;
    }

    int nextInt() {
        long z = state += GOLDEN_GAMMA;
        z = (z ^ (z >>> 33)) * 0x62a9d9ed799705f5L;
        return (int) (((z ^ (z >>> 28)) * 0xcb24d0a5c88c35b3L) >>> 32);
    }

    /** The seed of stream {@code index} of the family {@code seed}: a pure function of the two. */
    static long streamSeed(long seed, long index) {
        return CounterHash.streamKey(seed, index);
    }
}
