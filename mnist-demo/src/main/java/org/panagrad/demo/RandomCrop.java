package org.panagrad.demo;

import org.panagrad.kernels.CounterHash;

/**
 * torchvision's RandomCrop(side, padding) for square single-channel images: the image padded with zeros on every
 * side, then a window of the original size cut at a random offset, which shifts the image by -padding..padding
 * pixels on each axis. The offsets are a pure function of (seed, epoch, image), so a resumed run crops as the
 * interrupted one would have.
 */
final class RandomCrop {
    private final int side, padding;
    private final long seed;

    RandomCrop(int side, int padding, long seed) {
        if (padding < 0 || padding >= side) throw new IllegalArgumentException("crop padding must be in [0, " + side + "), got " + padding);
        this.side = side;
        this.padding = padding;
        this.seed = seed;
    }

    /** Writes image {@code image} of the epoch, shifted, from src[srcOff..] to dst[dstOff..]. */
    void copy(float[] src, int srcOff, float[] dst, int dstOff, int epoch, int image) {
        long bits = CounterHash.mix64(CounterHash.streamKey(seed, epoch) + image);
        int span = 2 * padding + 1;
        int dy = (int) Math.floorMod(bits, (long) span) - padding, dx = (int) Math.floorMod(bits >>> 32, (long) span) - padding;
        for (int y = 0; y < side; y++) {
            int sy = y + dy;
            int row = dstOff + y * side;
            if (sy < 0 || sy >= side) {
                java.util.Arrays.fill(dst, row, row + side, 0f);
                continue;
            }
            int from = Math.max(0, -dx), to = Math.min(side, side - dx);
            java.util.Arrays.fill(dst, row, row + from, 0f);
            System.arraycopy(src, srcOff + sy * side + from + dx, dst, row + from, to - from);
            java.util.Arrays.fill(dst, row + to, row + side, 0f);
        }
    }
}
