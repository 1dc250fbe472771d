package org.panagrad.demo;

/**
 * The one place where {@code --threads} takes effect. The worker pool that splits GEMM and the other kernels
 * over threads comes with the SIMD kernels (branch {@code kernels}); until it is merged the engine runs on
 * the calling thread and this method only validates the count. When the pool is merged, this body sets its
 * size and nothing else in the demo changes.
 */
final class Threads {
    private Threads() {}

    static void configure(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
    }

    /** The default for {@code --threads}: every core this JVM may use. */
    static int available() {
        return Runtime.getRuntime().availableProcessors();
    }
}
