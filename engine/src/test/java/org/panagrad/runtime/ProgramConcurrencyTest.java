package org.panagrad.runtime;

import org.junit.jupiter.api.Test;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Op;
import org.panagrad.ops.Relu;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A program runs on one thread at a time: a second thread fails at once instead of mixing two runs' values. */
class ProgramConcurrencyTest {
    /** An op whose instruction waits, so that a run is surely in progress while another thread tries. */
    private record Paused(CountDownLatch started, CountDownLatch release) implements Op {
        @Override
        public String name() {
            return "paused";
        }

        @Override
        public Node[] vjp(Node y, Node g) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Node jvp(Node y, Node[] tangents) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void reference(Node y, double[][] inputs, double[] out) {
            System.arraycopy(inputs[0], 0, out, 0, out.length);
        }

        @Override
        public Instruction compile(Node y, Buffers b) {
            float[] in = b.array(y.input(0)), out = b.array(y);
            int io = b.offset(y.input(0)), oo = b.offset(y), n = y.shape().numel();
            return () -> {
                started.countDown();
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                System.arraycopy(in, io, out, oo, n);
            };
        }
    }

    @Test
    void aSecondThreadRunningOrFeedingTheSameProgramFailsAtOnceNamingBothThreads() throws Exception {
        CountDownLatch started = new CountDownLatch(1), release = new CountDownLatch(1);
        Graph g = new Graph();
        Node x = g.input("x", 2, 3);
        Node y = Relu.of(g.node(new Paused(started, release), x.shape(), x));
        Program program = Compiler.compile(new ParameterStore(), List.of(y));
        float[] input = {1, -2, 3, -4, 5, -6};
        program.set(x, input);

        ExecutorService first = Executors.newSingleThreadExecutor(r -> new Thread(r, "first-runner"));
        try {
            Future<?> running = first.submit(program::run);
            assertTrue(started.await(30, TimeUnit.SECONDS));
            IllegalStateException run = assertThrows(IllegalStateException.class, program::run);
            assertTrue(run.getMessage().contains("running on thread 'first-runner'"), run.getMessage());
            assertTrue(run.getMessage().contains("one thread at a time"), run.getMessage());
            IllegalStateException feed = assertThrows(IllegalStateException.class, () -> program.set(x, input));
            assertTrue(feed.getMessage().startsWith("cannot feed an input"), feed.getMessage());
            assertThrows(IllegalStateException.class, program::runInvariant);
            assertThrows(IllegalStateException.class, () -> program.runTimed(new long[2]));
            release.countDown();
            running.get(30, TimeUnit.SECONDS);
        } finally {
            first.shutdownNow();
        }
        // The first run was not disturbed, and the program is free again for this thread.
        assertArrayEquals(new float[] {1, 0, 3, 0, 5, 0}, program.get(y));
        program.run();
        assertArrayEquals(new float[] {1, 0, 3, 0, 5, 0}, program.get(y));
    }

    /** A run that throws (here: an input never fed) releases the program. */
    @Test
    void aFailedRunLeavesTheProgramUsable() {
        Graph g = new Graph();
        Node x = g.input("x", 1, 2);
        Program program = Compiler.compile(new ParameterStore(), List.of(Relu.of(x)));
        assertThrows(IllegalStateException.class, program::run);
        program.set(x, new float[] {-1, 1});
        program.run();
    }
}
