package org.panagrad.spark;

import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The driver's rendezvous gives every task every task's string in task order, fast, and fails waiters when it closes. */
class RendezvousTest {
    @Test
    void everyTaskGetsEveryStringInTaskOrder() throws Exception {
        int tasks = 3;
        ExecutorService pool = Executors.newFixedThreadPool(tasks);
        try {
            // Two gatherings, the second timed: the first loads the socket classes and runs cold code, which on a
            // loaded CI machine can take a good part of a second; a warm one is a few round trips on loopback
            // (milliseconds, 10x slower still far from 900), where the barrier's one-second polling took a second.
            for (int gathering = 0; gathering < 2; gathering++) {
                try (Rendezvous meeting = Rendezvous.open("127.0.0.1", "127.0.0.1", tasks)) {
                    List<Future<String[]>> got = new ArrayList<>();
                    long t = System.nanoTime();
                    for (int rank : new int[] {2, 0, 1}) got.add(pool.submit(() -> Rendezvous.gather(meeting.address(), rank, "task " + rank)));
                    for (Future<String[]> f : got) assertArrayEquals(new String[] {"task 0", "task 1", "task 2"}, f.get(30, TimeUnit.SECONDS));
                    double ms = (System.nanoTime() - t) / 1e6;
                    if (gathering == 1) assertTrue(ms < 900, "a warm gathering took " + ms + " ms: not the barrier's one-second polling");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTaskStillWaitingWhenTheStageEndsFailsNamingTheRendezvous() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Rendezvous meeting = Rendezvous.open("127.0.0.1", "127.0.0.1", 2);
            Future<String[]> lonely = pool.submit(() -> Rendezvous.gather(meeting.address(), 0, "task 0"));
            Thread.sleep(200); // task 1 never comes
            meeting.close();
            Throwable e = assertThrows(java.util.concurrent.ExecutionException.class, () -> lonely.get(30, TimeUnit.SECONDS)).getCause();
            assertTrue(e instanceof UncheckedIOException && e.getMessage().contains("rendezvous at " + meeting.address()), e.toString());
            UncheckedIOException unreachable = assertThrows(UncheckedIOException.class, () -> Rendezvous.gather(meeting.address(), 1, "late"));
            assertTrue(unreachable.getMessage().contains(meeting.address()), unreachable.getMessage());
        } finally {
            pool.shutdownNow();
        }
    }
}
