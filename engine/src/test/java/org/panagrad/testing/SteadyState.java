package org.panagrad.testing;

import java.util.concurrent.TimeUnit;
import org.panagrad.kernels.AllocationMeter;

/**
 * Allocation of code in its steady state. Before C2 has compiled a vector kernel, its vectors are heap objects,
 * and C2 compiles in background threads that lag behind on a loaded machine; so windows of calls are measured
 * until one allocates nothing, or until a time budget runs out. Counts the calling thread and the GEMM
 * worker threads.
 */
public final class SteadyState {
    private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(60);

    private SteadyState() {}

    /** The fewest bytes one window of {@code calls} runs of action allocated: 0 once the JIT has settled. */
    public static long allocatedBytes(Runnable action, int calls) {
        return allocatedBytes(action, calls, System.nanoTime() + BUDGET_NANOS);
    }

    /**
     * {@link #allocatedBytes(Runnable, int)} until the given {@link System#nanoTime()} deadline, which callers
     * measuring many actions share, so that a regression in all of them fails in one budget rather than in one
     * per action; at least one window is measured.
     */
    public static long allocatedBytes(Runnable action, int calls, long deadline) {
        long fewest = Long.MAX_VALUE;
        while (true) {
            AllocationMeter meter = AllocationMeter.start();
            for (int i = 0; i < calls; i++) action.run();
            fewest = Math.min(fewest, meter.bytes());
            if (fewest == 0 || System.nanoTime() > deadline) return fewest;
            pause();
        }
    }

    // Gives the compiler threads the cores for a moment.
    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
