package org.panagrad.kernels;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Heap bytes allocated since {@link #start()} by the calling thread and by {@link WorkerPool}'s helpers, the
 * threads a kernel call runs on: how the allocation tests and the benchmarks' warm-up tell a kernel running as C2
 * code (no allocation) from one still running as C1 or interpreted code, whose Vector API calls allocate a heap
 * vector each.
 * <p>
 * The helpers are looked up again at {@link #bytes()}, so a pool started during the window counts (all its
 * helpers' bytes are the window's). A helper that has ended by then is left out: the JVM no longer reports its
 * bytes (getThreadAllocatedBytes gives -1 for it).
 */
public final class AllocationMeter {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final long[] ids, startBytes;

    private AllocationMeter(long[] ids, long[] startBytes) {
        this.ids = ids;
        this.startBytes = startBytes;
    }

    /** A window from now: the calling thread's and the pool's helpers' bytes, read after its own allocations. */
    public static AllocationMeter start() {
        long[] ids = callerAndWorkers();
        long[] bytes = new long[ids.length];
        AllocationMeter meter = new AllocationMeter(ids, bytes);
        for (int i = 0; i < ids.length; i++) bytes[i] = THREADS.getThreadAllocatedBytes(ids[i]);
        return meter;
    }

    /**
     * The bytes the calling thread and the helpers alive now allocated since {@link #start()}, all of a helper's
     * bytes if it started after it. The calling thread's count is read first, so the look-up's own allocation is
     * not in it. Call it from the thread that called start().
     */
    public long bytes() {
        long caller = Thread.currentThread().getId(), callerBytes = THREADS.getCurrentThreadAllocatedBytes();
        long sum = 0;
        for (long id : callerAndWorkers()) {
            long now = id == caller ? callerBytes : THREADS.getThreadAllocatedBytes(id);
            if (now < 0) continue; // ended since the look-up
            sum += now - bytesAtStart(id);
        }
        return sum;
    }

    private long bytesAtStart(long id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) return Math.max(startBytes[i], 0);
        }
        return 0; // started during the window
    }

    /** The ids of the calling thread and of the worker pool's threads alive now. */
    private static long[] callerAndWorkers() {
        Thread self = Thread.currentThread();
        long[] ids = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t != self && t.getName().startsWith(WorkerPool.THREAD_NAME_PREFIX))
                .mapToLong(Thread::getId).toArray();
        long[] withCaller = Arrays.copyOf(ids, ids.length + 1);
        withCaller[ids.length] = self.getId();
        return withCaller;
    }
}
