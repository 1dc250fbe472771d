package org.panagrad.testing;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import org.panagrad.kernels.AllocationMeter;

/**
 * Allocation of code in its steady state. Before C2 has compiled a vector kernel, its vectors are heap objects,
 * and C2 compiles in background threads that lag behind on a loaded machine; so windows of calls are measured
 * until one allocates nothing, or until a time budget runs out. Counts the calling thread and the GEMM
 * worker threads.
 * <p>
 * The budget alone made the answer depend on the machine's load: 20+ deep, C2 gets a fraction of a core and
 * its queue can still hold the kernels when 60 s are up (KroneckerCurvatureTest's wide factors and LaplaceTest's
 * covariances then reported the bytes of a window running C1 code, 0 in quiet runs). So past the budget a window
 * that allocates is measured again as long as the JIT is still at work, up to a hard limit: code that allocates in
 * its steady state still fails, once the JIT has nothing left to compile or at the hard limit.
 * <p>
 * The JIT is at work while a compilation is queued or under way (the Compiler.queue diagnostic command) or one has
 * finished since the previous window, the pause included. The total compilation time grown during the window alone
 * cannot see a compilation under way: it grows only when one ends, so a window of milliseconds taken while C2
 * spends seconds on the kernel under test reads as an idle JIT. Whether that failed KernelAllocationTest's
 * "attention backward 64x17x16" on JDK 25 or LayoutTest's transpose under -XX:UseAVX=2 under load is not known (one
 * LOG failure ran to the hard limit with the JIT busy throughout): a report now also lists what the JIT was
 * compiling.
 * <p>
 * Only a report made before any recording of sites ({@link AllocationSites#of}) is evidence by itself: after such
 * a recording C2 has been seen to make all the compiled code of several kernels not entrant at once; they then run
 * as C1 code, which allocates, until C2 compiles them again (session 16: a conv weight gradient's gather allocated,
 * and the reports after it named untouched kernels). Later reports say so.
 */
public final class SteadyState {
    private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** How far past its deadline a measurement goes on while the JIT keeps compiling. */
    private static final long HARD_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(240);
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    private SteadyState() {}

    /** The fewest bytes one window of {@code calls} runs of action allocated: 0 once the JIT has settled. */
    public static long allocatedBytes(Runnable action, int calls) {
        return allocatedBytes(action, calls, System.nanoTime() + BUDGET_NANOS);
    }

    /**
     * {@link #allocatedBytes(Runnable, int)} until the given {@link System#nanoTime()} deadline, which callers
     * measuring many actions share, so that a regression in all of them fails in one budget rather than in one
     * per action; at least one window is measured, and past the deadline windows go on while the JIT compiles.
     */
    public static long allocatedBytes(Runnable action, int calls, long deadline) {
        long fewest = Long.MAX_VALUE, hardLimit = deadline + HARD_LIMIT_NANOS;
        long compiledBefore = compilationMillis();
        while (true) {
            AllocationMeter meter = AllocationMeter.start();
            for (int i = 0; i < calls; i++) action.run();
            fewest = Math.min(fewest, meter.bytes());
            long now = System.nanoTime();
            if (fewest == 0) return 0;
            if (now > hardLimit || now > deadline && !jitBusySince(compiledBefore) && !JitQueue.compiling()) {
                // The caller's assertion fails on the bytes; the log gets where they come from.
                String when = AllocationSites.recordedBefore()
                        ? " (after an earlier recording of allocation sites in this JVM, which may have deoptimized"
                                + " this code: read the first report as the culprit)"
                        : " (no allocation sites recorded in this JVM before this report)";
                System.err.println("SteadyState: " + calls + " calls still allocated " + fewest + " B" + when);
                System.err.println("SteadyState: the JIT at this report: " + JitQueue.listing());
                System.err.println("SteadyState: sites over " + calls + " more calls: " + AllocationSites.of(action, calls));
                return fewest;
            }
            compiledBefore = compilationMillis();
            pause();
        }
    }

    /** Whether the JIT finished a compilation since {@code before} (its total time grew); false where that is not measured. */
    private static boolean jitBusySince(long before) {
        return before >= 0 && compilationMillis() > before;
    }

    private static long compilationMillis() {
        return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : -1;
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
