package org.panagrad.spark;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Four tasks (threads here, a barrier stage's tasks in Spark) summing partials over loopback. */
class AllReduceTest {
    static final int TASKS = 4, N = 100_003;

    /** The barrier's allGather, among threads. */
    private static Function<String, String[]> gather(int rank, String[] board, CyclicBarrier barrier) {
        return mine -> {
            board[rank] = mine;
            try {
                barrier.await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return board.clone();
        };
    }

    @FunctionalInterface
    interface Body {
        float[] run(int rank, AllReduce net) throws Exception;
    }

    private static List<Future<float[]>> start(ExecutorService pool, Body body) {
        String[] board = new String[TASKS];
        CyclicBarrier barrier = new CyclicBarrier(TASKS);
        List<Future<float[]>> out = new ArrayList<>();
        for (int r = 0; r < TASKS; r++) {
            int rank = r;
            out.add(pool.submit(() -> {
                try (AllReduce net = AllReduce.connect(rank, TASKS, N, "127.0.0.1", gather(rank, board, barrier))) {
                    return body.run(rank, net);
                }
            }));
        }
        return out;
    }

    @Test
    void everyTaskGetsTheSameSumInTaskOrderStepAfterStep() throws Exception {
        float[][] parts = new float[TASKS][];
        for (int r = 0; r < TASKS; r++) parts[r] = TestSpark.gaussian(N, 40 + r);
        ExecutorService pool = Executors.newFixedThreadPool(TASKS);
        try {
            List<Future<float[]>> results = start(pool, (rank, net) -> {
                float[] out = new float[N];
                for (int step = 0; step < 3; step++) { // the buffers are reused: later steps must see new frames
                    float[] mine = parts[rank].clone();
                    for (int i = 0; i < N; i++) mine[i] *= step + 1;
                    net.sum(10.0 * rank + step, rank + 1, mine, out);
                    assertEquals(60 + 4 * step, net.lossSum(), 1e-9);
                    assertEquals(10, net.count());
                }
                return out;
            });
            float[] expected = new float[N];
            for (int i = 0; i < N; i++) {
                double s = 0;
                for (int r = 0; r < TASKS; r++) s += parts[r][i] * 3f;
                expected[i] = (float) s;
            }
            for (Future<float[]> f : results) assertArrayEquals(expected, f.get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTaskThatFailsStopsTheOthersWithItsMessage() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(TASKS);
        try {
            List<Future<float[]>> results = start(pool, (rank, net) -> {
                float[] v = new float[N], out = new float[N];
                net.sum(1, 1, v, out);
                if (rank == 2) {
                    net.fail("partition 2 (examples 50-74): label 9 is outside [0, 5)");
                    throw new IllegalStateException("failed on purpose");
                }
                net.sum(1, 1, v, out);
                return out;
            });
            for (int r = 0; r < TASKS; r++) {
                Future<float[]> f = results.get(r);
                var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
                if (r == 2) continue;
                assertTrue(e.getCause() instanceof ShardException, e.getCause().toString());
                assertEquals("partition 2 (examples 50-74): label 9 is outside [0, 5)", e.getCause().getMessage());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
