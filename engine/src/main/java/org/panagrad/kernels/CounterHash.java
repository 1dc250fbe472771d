package org.panagrad.kernels;

/**
 * Counter-based hashing: random bits as a pure function of a key and a position, so that any pass, in any
 * order and on any thread, draws the same bits for the same element (dropout masks, Hutchinson probes).
 */
public final class CounterHash {
    private CounterHash() {}

    /** SplitMix64's increment: consecutive counters times it are far apart before mixing. */
    public static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    /** Stafford's variant 13 finalizer (SplitMix64's): spreads a counter over all 64 bits. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The key of stream {@code index} of the family {@code seed}: a pure function of the two. */
    public static long streamKey(long seed, long index) {
        return mix64(seed * GOLDEN_GAMMA + index);
    }

    /**
     * 24 uniform bits for element {@code i} under a 64-bit key: the element's index, offset and multiplied by
     * the 32-bit golden ratio (a bijection), xor the key's low half, then murmur3's 32-bit finalizer. 32-bit
     * lanes, so a vector of them is as wide as a vector of floats; {@link DropoutMask} computes the same bits
     * in SIMD.
     */
    public static int bits24(long key, int i) {
        int h = (i + (int) (key >>> 32)) * 0x9E3779B9 ^ (int) key;
        h = (h ^ (h >>> 16)) * 0x85EBCA6B;
        h = (h ^ (h >>> 13)) * 0xC2B2AE35;
        return (h ^ (h >>> 16)) >>> 8;
    }
}
