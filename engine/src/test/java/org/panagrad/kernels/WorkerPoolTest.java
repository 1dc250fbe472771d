package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The pool runs every part of a task exactly once, whoever runs it: a helper that claimed it, or the caller that
 * took it back because no helper had begun; and a run never waits for a helper that has not begun.
 */
class WorkerPoolTest {
    /** Parts that each count their runs, and, like a narrow GEMM's, claim chunks of work until none is left. */
    private static final class CountingTask implements WorkerPool.Task {
        final AtomicIntegerArray partRuns;
        final AtomicIntegerArray chunkRuns;
        final AtomicInteger nextChunk = new AtomicInteger();

        CountingTask(int parts, int chunks) {
            partRuns = new AtomicIntegerArray(parts);
            chunkRuns = new AtomicIntegerArray(chunks);
        }

        @Override
        public void runPart(int part, int parts) {
            partRuns.incrementAndGet(part);
            for (int c = nextChunk.getAndIncrement(); c < chunkRuns.length(); c = nextChunk.getAndIncrement()) {
                chunkRuns.incrementAndGet(c);
            }
        }

        void assertEachRanOnce() {
            for (int p = 0; p < partRuns.length(); p++) assertEquals(1, partRuns.get(p), "runs of part " + p);
            for (int c = 0; c < chunkRuns.length(); c++) assertEquals(1, chunkRuns.get(c), "runs of chunk " + c);
        }
    }

    @Property(tries = 60)
    void everyPartAndChunkRunsExactlyOnce(@ForAll @IntRange(min = 1, max = 3) int threads,
                                         @ForAll @IntRange(min = 1, max = 3) int partsWanted,
                                         @ForAll @IntRange(min = 0, max = 40) int chunks,
                                         @ForAll @IntRange(min = 1, max = 30) int runs) {
        int parts = Math.min(threads, partsWanted);
        WorkerPool pool = new WorkerPool(threads);
        try {
            for (int r = 0; r < runs; r++) { // back to back: helpers still spinning, parked, or just finishing
                CountingTask task = new CountingTask(parts, chunks);
                assertTrue(pool.tryRun(task, parts));
                task.assertEachRanOnce();
            }
        } finally {
            pool.close();
        }
    }

    @Test
    void aRunDoesNotWaitForAHelperThatHasNotBegun() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        WorkerPool pool = new WorkerPool(2, () -> {
            try {
                release.await(); // the helper sees its part offered, then stalls until the run is over
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            AtomicReferenceArray<String> ranOn = new AtomicReferenceArray<>(2);
            WorkerPool.Task task = (part, parts) -> ranOn.set(part, Thread.currentThread().getName());
            String caller = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                assertTrue(pool.tryRun(task, 2));
                return Thread.currentThread().getName();
            });
            assertEquals(caller, ranOn.get(0));
            assertEquals(caller, ranOn.get(1), "the caller took back the part the stalled helper never claimed");
            release.countDown();
            // The helper wakes to a part taken back and runs nothing; the next runs go on as before.
            for (int r = 0; r < 20; r++) {
                CountingTask counting = new CountingTask(2, 7);
                assertTrue(pool.tryRun(counting, 2));
                counting.assertEachRanOnce();
            }
        } finally {
            release.countDown();
            pool.close();
        }
    }
}
