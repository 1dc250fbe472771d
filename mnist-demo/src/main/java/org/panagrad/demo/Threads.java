package org.panagrad.demo;

import org.panagrad.kernels.Gemm;

/**
 * The one place where {@code --threads} takes effect: the size of the worker pool that splits large GEMMs
 * (the other kernels are memory-bound and stay on the calling thread).
 */
final class Threads {
    private Threads() {}

    /**
     * Sets the pool to {@code requested} threads (null: the processors available). More threads than processors
     * only take turns on them (a 64-thread run on 2 cores measured 5x slower), so more is capped, with a word.
     */
    static int configure(Integer requested, java.io.PrintWriter err) {
        int available = available();
        int threads = requested == null ? available : OptionRanges.atLeast("--threads", requested, 1);
        if (threads > available) {
            err.println("warning: --threads " + threads + " is more than the " + available + " processors available;"
                    + " using " + available);
            err.flush();
            threads = available;
        }
        Gemm.setThreads(threads);
        return threads;
    }

    /** The default for {@code --threads}: every core this JVM may use. */
    static int available() {
        return Runtime.getRuntime().availableProcessors();
    }
}
