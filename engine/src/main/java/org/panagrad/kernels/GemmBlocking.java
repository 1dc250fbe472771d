package org.panagrad.kernels;

/**
 * The cache blocking of {@link BlockedGemm}, derived once from the machine's caches ({@link CacheSizes}) and the
 * micro-kernel's tile (MR x NR):
 * <ul>
 * <li>{@code kc}, the steps of k per block, so that a packed row panel of A (MR x kc floats), which stays in L1
 * while the B panels of a slice stream past it, takes at most three quarters of the L1 data cache; at most 512
 * (on a Zen 3 512 beat 256 by 10%, every k block re-reading and re-writing C) and at least 128;</li>
 * <li>{@code wholeK}, the deepest k that is one block rather than several of at most kc: at 16 lanes an A panel
 * of up to four fifths of L1 (k = 784 of a 784-wide input layer on a 48 KB L1: a 37.6 KB panel). Measured on a
 * Zen 5 (512 bits, GemmAlternating against two k blocks of 392): 128 x 500 x 784 with B read in place
 * ({@link BlockedGemm}) 1.06-1.08x, with B packed 0.98-1.01x, 64 x 128 x 784 and 256 x 500 x 784 level. At 8
 * lanes kc (unmeasured there).</li>
 * <li>{@code sliceFloats}, the B panels one A panel meets in turn, half of L2;</li>
 * <li>{@code mc}, the rows of a packed block of A, whose panels cycle through L1 once per slice: the block in the
 * other half of L2, in whole panels;</li>
 * <li>{@code nc}, the columns of a packed block of B: 4096, a width past which A is packed again. Not a cache
 * size: wider blocks pack A less often and spill the packed B from L3 only for products wider than any MLP's.</li>
 * </ul>
 * BLIS's block sizes for Zen 4 (480 steps, a 23 KB panel in a 32 KB L1; 512 x 480 floats in its 1 MB L2) follow
 * the same rules.
 */
record GemmBlocking(int kc, int wholeK, int mc, int nc, int sliceFloats) {
    static final int KC_MIN = 128, KC_MAX = 512, NC = 4096;
    /** The 16-lane micro-kernel's rows: {@code wholeK} past kc only there, where it was measured. */
    static final int WIDE_MR = 12;

    static GemmBlocking forCaches(CacheSizes caches, int mr) {
        int kc = Math.max(KC_MIN, Math.min(KC_MAX, caches.l1d() * 3 / 4 / (Float.BYTES * mr) / 16 * 16));
        int half = caches.l2() / 2 / Float.BYTES;
        int mc = Math.max(mr, half / kc / mr * mr);
        int wholeK = mr >= WIDE_MR ? Math.max(kc, caches.l1d() * 4 / 5 / (Float.BYTES * mr) / 16 * 16) : kc;
        return new GemmBlocking(kc, wholeK, mc, NC, half);
    }

    @Override
    public String toString() {
        return "kc " + kc + " (one block up to k = " + wholeK + "), mc " + mc + ", nc " + nc + ", B slices of " + sliceFloats / 1024 + "K floats";
    }
}
