package org.panagrad.optim.secondorder;

/**
 * The generator behind {@link java.util.SplittableRandom} (Steele, Lea and Flood, 2014) on a plain long:
 * {@code nextInt()} after {@code reset(s)} yields exactly what {@code new SplittableRandom(s).nextInt()} does,
 * but restarting a stream is an assignment, not an allocation, so a training step can start one per step.
 */
final class SplitMix64 {
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

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

    /** Stafford's variant 13 finalizer: spreads a counter over all 64 bits, so that nearby inputs give unrelated seeds. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The seed of stream {@code index} of the family {@code seed}: a pure function of the two. */
    static long streamSeed(long seed, long index) {
        return mix64(seed * GOLDEN_GAMMA + index);
    }
}
