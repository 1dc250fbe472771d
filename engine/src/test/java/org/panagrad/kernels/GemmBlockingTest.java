package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** GemmBlocking.forCaches: the invariants its javadoc claims, over real and awkward caches and both MRs. */
class GemmBlockingTest {
    @ParameterizedTest
    @CsvSource({
        // L1d KB, L2 KB, MR (6 on 8 lanes, 12 on 16)
        "32, 512, 6", "32, 512, 12", "48, 1024, 6", "48, 1024, 12", "48, 2048, 12", "32, 1280, 12",
        "64, 256, 6", "80, 2048, 12", "16, 256, 6", "16, 128, 12", "1024, 32768, 12", "37, 700, 12"})
    void blockingKeepsItsInvariants(int l1Kb, int l2Kb, int mr) {
        CacheSizes caches = new CacheSizes(l1Kb * 1024, l2Kb * 1024, "test");
        GemmBlocking b = GemmBlocking.forCaches(caches, mr);
        String at = b + " for " + caches + ", MR " + mr;
        assertEquals(0, b.kc() % 16, "kc a multiple of 16: " + at);
        assertTrue(b.kc() >= GemmBlocking.KC_MIN && b.kc() <= GemmBlocking.KC_MAX, "kc in [128, 512]: " + at);
        if (b.kc() > GemmBlocking.KC_MIN) {
            assertTrue((long) mr * b.kc() * Float.BYTES <= caches.l1d() * 3L / 4, "A panel in 3/4 of L1: " + at);
        }
        if (b.kc() < GemmBlocking.KC_MAX) {
            assertTrue((long) mr * (b.kc() + 16) * Float.BYTES > caches.l1d() * 3L / 4, "kc the largest that fits: " + at);
        }
        assertEquals(0, b.mc() % mr, "mc whole MR panels: " + at);
        assertTrue(b.mc() >= mr, at);
        if (b.mc() > mr) {
            assertTrue((long) b.mc() * b.kc() * Float.BYTES <= caches.l2() / 2, "A block in half of L2: " + at);
        }
        assertTrue((long) (b.mc() + mr) * b.kc() * Float.BYTES > caches.l2() / 2, "mc the largest that fits: " + at);
        assertEquals(caches.l2() / 2 / Float.BYTES, b.sliceFloats(), "B slices in the other half of L2: " + at);
        assertEquals(GemmBlocking.NC, b.nc(), at);
        assertEquals(0, b.wholeK() % 16, "wholeK a multiple of 16: " + at);
        assertTrue(b.wholeK() >= b.kc(), "wholeK at least kc: " + at);
        if (mr < GemmBlocking.WIDE_MR) {
            assertEquals(b.kc(), b.wholeK(), "wholeK is kc at 8 lanes: " + at);
        } else if (b.wholeK() > b.kc()) {
            assertTrue((long) mr * b.wholeK() * Float.BYTES <= caches.l1d() * 4L / 5, "whole-k A panel in 4/5 of L1: " + at);
            assertTrue((long) mr * (b.wholeK() + 16) * Float.BYTES > caches.l1d() * 4L / 5, "wholeK the largest that fits: " + at);
        }
    }

    @ParameterizedTest
    // Zen 3 at 256 bits, Zen 5 at 512, a 16 KB L1 where kc drops below 512, and an 8 KB L1 held at KC_MIN.
    // wholeK: k = 784 (a 784-wide input layer) is one block on the Zen 5 at 512 bits.
    @CsvSource({"32, 512, 6, 512, 512, 126", "48, 1024, 12, 512, 816, 252", "16, 256, 12, 256, 272, 120",
        "8, 128, 12, 128, 128, 120"})
    void knownMachines(int l1Kb, int l2Kb, int mr, int kc, int wholeK, int mc) {
        GemmBlocking b = GemmBlocking.forCaches(new CacheSizes(l1Kb * 1024, l2Kb * 1024, "test"), mr);
        assertEquals(kc, b.kc(), b.toString());
        assertEquals(wholeK, b.wholeK(), b.toString());
        assertEquals(mc, b.mc(), b.toString());
    }

    @Test
    void theMachinesBlockingIsDerivedFromItsCaches() {
        assertEquals(GemmBlocking.forCaches(CacheSizes.MACHINE, GemmMicroKernel.MR), BlockedGemm.BLOCKING);
    }
}
