package org.panagrad.kernels;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operand that every part of a parallel GEMM reads whole (A when the parts are column bands or chunks, B
 * when they are row bands or chunks), packed once by all parts together instead of once by each: for bands
 * into two buffers that alternate between blocks, for chunks into one buffer per k block of a group (for
 * {@link PackedSyrk}'s A, one buffer, repacked after a barrier).
 * <p>
 * Bands ({@link BlockedGemm#run}): every part packs its share of a block's panels, waits at a barrier
 * ({@link #await}) until all shares are in, and then multiplies. The one barrier per block also guarantees
 * that nobody still reads a buffer being repacked: a part packing block b + 2 has passed barrier b + 1, which
 * every part reaches only after finishing block b.
 * <p>
 * Chunks ({@link BlockedGemm#runChunks}): the parts pack a group of blocks at once, one buffer each (all the
 * k blocks when they fit in {@link #GROUP_FLOATS}, else two), claiming the packing in units as they go
 * ({@link #claimUnit}, {@link #unitPacked}, {@link #awaitPacked}), so a part whose core is taken holds the
 * others up for the one unit it has claimed, not for a fixed share; a barrier comes only between groups,
 * before the buffers are repacked.
 * <p>
 * The parts of one call run on distinct threads at the same time ({@link WorkerPool#tryRun}), so waiting for
 * each other cannot deadlock; a part that fails {@link #abandon}s the call so the others stop waiting.
 */
final class SharedPanels {
    private static final int SPINS_BEFORE_YIELD = 1000;

    /**
     * Floats that the blocks of one group of {@link BlockedGemm#runChunks} may take together (4 MB: all of
     * 1024^3's B). A group boundary is a barrier, which waits for a helper that has not even begun (one that
     * woke late): a weight gradient such as 64 x 192 x 2176 TN (5 k blocks of A, 0.5 MB) packs all its blocks
     * in one group instead of three.
     */
    static final int GROUP_FLOATS = 1 << 20;

    private float[][] buffers = {new float[0], new float[0]};
    private final AtomicInteger arrived = new AtomicInteger();
    private final AtomicInteger nextUnit = new AtomicInteger();
    private final AtomicInteger packedUnits = new AtomicInteger();
    private volatile int generation;
    private volatile boolean abandoned;
    private int parts;

    /**
     * Readies {@code count} buffers of {@code size} floats for a call of {@code parts} parts: at least two where
     * blocks alternate between buffers ({@link #buffer}), one where a barrier comes before every repacking
     * ({@link PackedSyrk}: a second would be an idle array the size of A's panels, per calling thread).
     */
    void prepare(int parts, int size, int count) {
        this.parts = parts;
        if (buffers.length < count) {
            float[][] more = new float[count][];
            for (int i = 0; i < count; i++) more[i] = i < buffers.length ? buffers[i] : new float[0];
            buffers = more;
        }
        // Slack for the vector stores of a transposed A past its last panel (see GemmPacking.packA).
        for (int i = 0; i < count; i++) {
            if (buffers[i].length < size + GemmMicroKernel.LANES) buffers[i] = new float[size + GemmMicroKernel.LANES];
        }
        arrived.set(0);
        nextUnit.set(0);
        packedUnits.set(0);
        abandoned = false;
    }

    /** The buffer of the block-th shared block of a call whose blocks alternate between two buffers (counting from 0). */
    float[] buffer(int block) {
        return buffers[block & 1];
    }

    /** The buffer of the i-th block of a group of {@link BlockedGemm#runChunks} (as many as prepared). */
    float[] groupBuffer(int i) {
        return buffers[i];
    }

    /** Claims the next unit of packing, numbered from 0 over the whole call. */
    int claimUnit() {
        return nextUnit.getAndIncrement();
    }

    /** Records that a claimed unit is packed. */
    void unitPacked() {
        packedUnits.incrementAndGet();
    }

    /**
     * Returns once {@code units} units of the call are packed (the units are numbered in claiming order). A
     * count suffices because no unit of the next group is packed before every part has passed this wait and
     * the barrier ({@link #await}) that follows the group.
     */
    void awaitPacked(int units) {
        for (int spins = 0; packedUnits.get() < units; spins++) spinOrYield(spins);
    }

    /** Returns once every part of the call has called it as often as this one. */
    void await() {
        int g = generation;
        if (arrived.incrementAndGet() == parts) {
            arrived.set(0);
            generation = g + 1; // volatile write after the reset: the next round starts from zero
            return;
        }
        for (int spins = 0; generation == g; spins++) spinOrYield(spins);
    }

    /** One step of a wait: a spin, or past SPINS_BEFORE_YIELD a yield; throws if the call was abandoned. */
    void spinOrYield(int spins) {
        if (abandoned) throw new WorkerPool.Abandoned("another part of this GEMM failed");
        // More threads than free cores: let the part being waited for run.
        if (spins > SPINS_BEFORE_YIELD) Thread.yield();
        else Thread.onSpinWait();
    }

    void abandon() {
        abandoned = true;
    }
}
