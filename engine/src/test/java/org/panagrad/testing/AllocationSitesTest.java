package org.panagrad.testing;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class AllocationSitesTest {
    private static volatile float[] sink;

    @Test
    void namesTheFrameThatAllocates() {
        String sites = AllocationSites.of(AllocationSitesTest::allocate, 2_000);
        assertTrue(sites.contains("[F on " + Thread.currentThread().getName()
                + " at AllocationSitesTest.allocate:"), sites);
    }

    @Test
    void saysWhenNothingWasSampled() {
        String sites = AllocationSites.of(() -> { }, 10);
        assertTrue(sites.startsWith("no allocation samples"), sites);
    }

    private static void allocate() {
        sink = new float[4096];
    }
}
