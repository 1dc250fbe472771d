package org.panagrad.optim.secondorder;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class SplitMix64Test {

    @Test
    void drawsWhatSplittableRandomDrawsAndRestartsOnReset() {
        for (long seed : new long[] {0, 5, -1, 0x123456789abcdefL}) {
            SplitMix64 mine = new SplitMix64(seed);
            SplittableRandom theirs = new SplittableRandom(seed);
            for (int i = 0; i < 1000; i++) assertEquals(theirs.nextInt(), mine.nextInt(), "seed " + seed + ", draw " + i);
            mine.reset(seed);
            assertEquals(new SplittableRandom(seed).nextInt(), mine.nextInt(), "after reset, seed " + seed);
        }
    }

    @Test
    void streamSeedsOfNeighbouringStepsAndSeedsDiffer() {
        assertNotEquals(SplitMix64.streamSeed(0, 0), SplitMix64.streamSeed(0, 1));
        assertNotEquals(SplitMix64.streamSeed(0, 1), SplitMix64.streamSeed(1, 0));
        assertEquals(SplitMix64.streamSeed(7, 3), SplitMix64.streamSeed(7, 3));
    }
}
