package org.panagrad.demo;

import org.panagrad.kernels.Gemm;

/**
 * The one place where {@code --threads} takes effect: the size of the worker pool that splits large GEMMs
 * (the other kernels are memory-bound and stay on the calling thread).
 */
final class Threads {
    private Threads() {}

    static void configure(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
        Gemm.setThreads(threads);
    }

    /** The default for {@code --threads}: every core this JVM may use. */
    static int available() {
        return Runtime.getRuntime().availableProcessors();
    }
}
