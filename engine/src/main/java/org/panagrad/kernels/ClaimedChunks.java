package org.panagrad.kernels;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The chunks of one parallel call, handed out by a shared counter of tickets, so that a part whose thread is slow
 * (its core taken by another process, or a helper that woke late) does fewer of them and nobody waits for a fixed
 * half. With two parts, part 0 (the caller) takes chunks from the front and part 1 from the back: each thread
 * computes much the same chunks call after call and finds them in its own caches; the tickets bound the total, so
 * the two ends meet without overlap whoever claims how many. With more parts, ticket order. A chunk's result does
 * not depend on who computes it, so the bits are the same at any thread count.
 */
final class ClaimedChunks {
    private final AtomicInteger next = new AtomicInteger();
    private int chunks;

    /** Starts a call of n chunks (before the parts run: the pool's hand-over publishes it). */
    void reset(int n) {
        chunks = n;
        next.set(0);
    }

    int count() {
        return chunks;
    }

    /** The next chunk for this part, which has taken {@code taken} before, or -1 when every chunk is taken. */
    int claim(int part, int parts, int taken) {
        int ticket = next.getAndIncrement();
        return ticket < chunks ? chunkOf(ticket, part, parts, taken, chunks) : -1;
    }

    /** The chunk (of chunks) that a part's ticket stands for, having taken {@code taken} before (see the class comment). */
    static int chunkOf(int ticket, int part, int parts, int taken, int chunks) {
        if (parts != 2) return ticket % chunks;
        return part == 0 ? taken : chunks - 1 - taken;
    }
}
