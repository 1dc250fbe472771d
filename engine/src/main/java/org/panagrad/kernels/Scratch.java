package org.panagrad.kernels;

/**
 * Per-thread scratch for kernels that work through an array in chunks and keep intermediate rows (tanh's
 * exponentials, softplus, softmax along an inner axis): allocated once per thread, so steady-state calls
 * allocate nothing. A kernel holding the scratch must not call another kernel that takes it.
 */
final class Scratch {
    private Scratch() {}

    /** Elements per chunk: small enough for every scratch row of a chunk to stay in L1. */
    static final int CHUNK = 256;
    /** Rows of {@link #CHUNK} floats each thread's scratch holds. */
    static final int ROWS = 3;

    private static final ThreadLocal<float[]> BUFFER = ThreadLocal.withInitial(() -> new float[ROWS * CHUNK]);

    /** This thread's scratch: {@link #ROWS} rows of {@link #CHUNK} floats. */
    static float[] get() {
        return BUFFER.get();
    }
}
