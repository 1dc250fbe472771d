package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class AllocationMeterTest {
    private static final int MEGABYTE = 1 << 20;

    /** Keeps what the helper threads allocate reachable, so the allocation cannot be removed. */
    private static volatile byte[] kept;

    /** A worker-pool thread that starts during the window and allocates 1 MB is counted, all of its bytes. */
    @Test
    void countsAHelperThatStartedAfterTheWindowOpened() throws InterruptedException {
        AllocationMeter meter = AllocationMeter.start();
        CountDownLatch allocated = new CountDownLatch(1), release = new CountDownLatch(1);
        Thread helper = helper("late", () -> {
            kept = new byte[MEGABYTE];
            allocated.countDown();
            awaitQuietly(release);
        });
        helper.start();
        allocated.await();
        long bytes = meter.bytes();
        release.countDown();
        helper.join();
        assertTrue(bytes >= MEGABYTE, "a helper started during the window allocated 1 MB, counted " + bytes);
    }

    /**
     * A helper alive at the start that ends during the window is left out (the JVM reports -1 bytes for it); it
     * used to be added as -1 minus its bytes at the start, giving a negative count.
     */
    @Test
    void leavesOutAHelperThatEndedDuringTheWindow() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1), release = new CountDownLatch(1);
        Thread helper = helper("ending", () -> {
            kept = new byte[MEGABYTE];
            started.countDown();
            awaitQuietly(release);
            kept = new byte[MEGABYTE];
        });
        helper.start();
        started.await();
        AllocationMeter meter = AllocationMeter.start();
        release.countDown();
        helper.join();
        long bytes = meter.bytes();
        assertTrue(bytes >= 0 && bytes < MEGABYTE / 4, "the caller allocated next to nothing and the helper ended: " + bytes);
    }

    /** The calling thread's own allocations in the window count; the meter's look-ups do not. */
    @Test
    void countsTheCallersBytesAndNotItsOwn() {
        AllocationMeter empty = AllocationMeter.start();
        long nothing = empty.bytes();
        AllocationMeter meter = AllocationMeter.start();
        kept = new byte[MEGABYTE];
        long bytes = meter.bytes();
        assertTrue(nothing < 1024, "an empty window counted " + nothing + " bytes");
        assertTrue(bytes >= MEGABYTE && bytes < MEGABYTE + 1024, "1 MB allocated, counted " + bytes);
    }

    private static Thread helper(String name, Runnable body) {
        Thread t = new Thread(body, WorkerPool.THREAD_NAME_PREFIX + "test-" + name);
        t.setDaemon(true);
        return t;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
