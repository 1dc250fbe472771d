package org.panagrad.kernels;

import java.lang.management.ManagementFactory;

/**
 * Heap bytes allocated by the calling thread and by {@link WorkerPool}'s helpers, the threads a kernel call runs
 * on: how the allocation tests and the benchmarks' warm-up tell a kernel running as C2 code (no allocation) from
 * one still running as C1 or interpreted code, whose Vector API calls allocate a heap vector each.
 */
public final class AllocationMeter {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private AllocationMeter() {}

    /** The ids of the calling thread and of the worker pool's threads alive now. */
    public static long[] callerAndWorkers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t == Thread.currentThread() || t.getName().startsWith(WorkerPool.THREAD_NAME_PREFIX))
                .mapToLong(Thread::getId).toArray();
    }

    /** The bytes these threads have allocated since they started. */
    public static long allocatedBytes(long[] threadIds) {
        long sum = 0;
        for (long id : threadIds) sum += THREADS.getThreadAllocatedBytes(id);
        return sum;
    }
}
