package org.panagrad.kernels;

import org.panagrad.testing.SteadyState;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every kernel entry point allocates nothing once C2 has compiled it. A Vector API value that escapes a
 * method C2 did not inline is boxed on the heap, one object per vector: the failure this guards against.
 * All calls are warmed up interleaved, as the engine calls them, so call-site profiles are as mixed as in a
 * real program. Measures bytes, never time.
 */
class KernelAllocationTest {
    /** Enough calls for C2 (tier 4) to compile and inline every kernel. */
    private static final int WARMUP_ROUNDS = 3000;
    /** GEMM calls are long: their loops reach C2 after fewer calls. */
    private static final int GEMM_WARMUP_ROUNDS = 300;
    private static final int MEASURED_CALLS = 50;

    /**
     * Where the Vector API emulates a width the hardware lacks (the 512-bit run of the tests on an AVX2 machine),
     * every vector operation allocates by design: there is nothing to measure.
     */
    @BeforeAll
    static void onlyAtAWidthTheHardwareRuns() {
        assumeTrue(Simd.NATIVE_WIDTH, "emulated width: " + Simd.describe());
    }

    @AfterEach
    void restoreThreads() {
        Gemm.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void elementwiseSoftmaxReductionsAndUpdatesAllocateNothing() {
        assertAllocateNothing(vectorKernels(), 1, WARMUP_ROUNDS);
    }

    @Test
    void gemmAllocatesNothingOnOneThread() {
        Gemm.setThreads(1);
        assertAllocateNothing(gemmCalls(), 1, GEMM_WARMUP_ROUNDS);
    }

    @Test
    void gemmAllocatesNothingOnTwoThreads() {
        Gemm.setThreads(2);
        assertAllocateNothing(gemmCalls(), 2, GEMM_WARMUP_ROUNDS);
    }

    private static Map<String, Runnable> vectorKernels() {
        Random rnd = new Random(7);
        // 5 x 37: a vector body and a scalar tail on 8- and 16-lane machines.
        int rows = 5, cols = 37, n = rows * cols;
        float[] x = KernelTestSupport.random(rnd, n, -3f, 3f);
        float[] y = KernelTestSupport.random(rnd, n, 0.5f, 3f);
        float[] out = new float[n];
        float[] row = KernelTestSupport.random(rnd, cols, 0.5f, 2f);
        float[] col = KernelTestSupport.random(rnd, rows, 0.5f, 2f);
        float[] labels = new float[rows];
        for (int i = 0; i < rows; i++) labels[i] = rnd.nextInt(cols);
        float[] p = KernelTestSupport.random(rnd, n, -1f, 1f), g = KernelTestSupport.random(rnd, n, -1f, 1f);
        float[] m1 = new float[n], m2 = new float[n];
        float[] sink = new float[1];

        Map<String, Runnable> calls = new LinkedHashMap<>();
        for (BinaryOp op : BinaryOp.values()) {
            calls.put("binary " + op + " dense", () -> Elementwise.binary(op, rows, cols, x, 0, cols, 1, y, 0, cols, 1, out, 0));
            calls.put("binary " + op + " row broadcast", () -> Elementwise.binary(op, rows, cols, x, 0, cols, 1, row, 0, 0, 1, out, 0));
            calls.put("binary " + op + " row broadcast first", () -> Elementwise.binary(op, rows, cols, row, 0, 0, 1, y, 0, cols, 1, out, 0));
            calls.put("binary " + op + " column broadcast", () -> Elementwise.binary(op, rows, cols, x, 0, cols, 1, col, 0, 1, 0, out, 0));
            calls.put("binary " + op + " scalar", () -> Elementwise.binary(op, rows, cols, x, 0, cols, 1, row, 3, 0, 0, out, 0));
            calls.put("binary " + op + " strided", () -> Elementwise.binary(op, rows, cols / 2, x, 0, cols, 2, y, 1, cols, 2, out, 0));
        }
        for (UnaryOp op : UnaryOp.values()) {
            calls.put("unary " + op, () -> Elementwise.unary(op, n, op == UnaryOp.LOG ? y : x, 0, out, 0));
        }
        calls.put("scale", () -> Elementwise.scale(n, 0.5f, x, 0, out, 0));
        calls.put("fill", () -> Elementwise.fill(n, 0.25f, out, 0));
        calls.put("step", () -> Elementwise.step(n, 0.5f, x, 0, out, 0));
        calls.put("reluBackward", () -> Elementwise.reluBackward(n, y, 0, x, 0, out, 0));
        calls.put("softmax", () -> Softmax.softmax(rows, cols, x, 0, out, 0));
        calls.put("logSoftmax", () -> Softmax.logSoftmax(rows, cols, x, 0, out, 0));
        calls.put("crossEntropyMean", () -> sink[0] = Softmax.crossEntropyMean(rows, cols, x, 0, labels, 0));
        calls.put("crossEntropyGrad", () -> Softmax.crossEntropyGrad(rows, cols, 0.2f, x, 0, labels, 0, out, 0));
        calls.put("crossEntropyWithGrad", () -> sink[0] = Softmax.crossEntropyWithGrad(rows, cols, 0.2f, x, 0, labels, 0, out, 0));
        calls.put("sumOverRows", () -> Reductions.sumOverRows(rows, cols, x, 0, out, 0));
        calls.put("sumOverCols", () -> Reductions.sumOverCols(rows, cols, x, 0, out, 0));
        calls.put("sum", () -> sink[0] = Reductions.sum(n, x, 0));
        calls.put("dot", () -> sink[0] = Reductions.dot(n, x, 0, y, 0));
        calls.put("axpy", () -> Elementwise.axpy(n, 1e-6f, x, 0, out, 0));
        // Tiny steps keep the parameters bounded over thousands of calls.
        calls.put("sgd", () -> Updates.sgd(n, 1e-6f, 0.01f, p, 0, g, 0));
        calls.put("momentum", () -> Updates.momentum(n, 1e-6f, 0.9f, false, 0.01f, p, 0, g, 0, m1, 0));
        calls.put("nesterov", () -> Updates.momentum(n, 1e-6f, 0.9f, true, 0.01f, p, 0, g, 0, m1, 0));
        calls.put("adam", () -> Updates.adam(n, 1e-6f, 0.9f, 0.999f, 1e-8f, 0.01f, false, 0.5f, 0.1f, p, 0, g, 0, m1, 0, m2, 0));
        calls.put("adamw", () -> Updates.adam(n, 1e-6f, 0.9f, 0.999f, 1e-8f, 0.01f, true, 0.5f, 0.1f, p, 0, g, 0, m1, 0, m2, 0));
        return calls;
    }

    /** Every transpose, plain and with the full epilogue, at a size split over threads and at narrow sizes. */
    private static Map<String, Runnable> gemmCalls() {
        Random rnd = new Random(8);
        // 130 x 132 x 128 passes the parallel threshold and has edge tiles in both directions; 150 x 48 x 520
        // has two blocks of rows and of k, so two threads claim row chunks over a shared B.
        int[][] shapes = {{130, 132, 128}, {150, 48, 520}, {37, 10, 29}, {23, 41, 10}};
        Map<String, Runnable> calls = new LinkedHashMap<>();
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = KernelTestSupport.random(rnd, m * k, -1f, 1f);
            float[] b = KernelTestSupport.random(rnd, k * n, -1f, 1f);
            float[] c = new float[m * n];
            float[] bias = KernelTestSupport.random(rnd, n, -1f, 1f);
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    GemmOperand ao = new GemmOperand(a, 0, ta ? m : k, ta), bo = new GemmOperand(b, 0, tb ? k : n, tb);
                    GemmOperand co = GemmOperand.of(c, 0, n);
                    GemmEpilogue biasRelu = new GemmEpilogue(bias, 0, true, null, 0);
                    String name = m + "x" + n + "x" + k + " " + (ta ? "T" : "N") + (tb ? "T" : "N");
                    calls.put(name, () -> Gemm.gemm(m, n, k, 1f, ao, bo, 0f, co));
                    // beta = 0.5 keeps C bounded over repeated calls.
                    calls.put(name + " beta+bias+relu", () -> Gemm.gemm(m, n, k, 0.01f, ao, bo, 0.5f, co, biasRelu));
                }
            }
        }
        return calls;
    }

    private static void assertAllocateNothing(Map<String, Runnable> calls, int threads, int warmupRounds) {
        for (int round = 0; round < warmupRounds; round++) {
            for (Runnable call : calls.values()) call.run();
        }
        workerThreadIds(threads - 1); // the pool really has its workers, whose allocations count too
        // On a loaded machine C2's queue lags behind the warm-up: SteadyState measures until the JIT has
        // settled. A kernel that boxes vectors allocates on every call, however long it runs.
        List<String> allocating = new ArrayList<>();
        for (Map.Entry<String, Runnable> e : calls.entrySet()) {
            long bytes = SteadyState.allocatedBytes(e.getValue(), MEASURED_CALLS);
            if (bytes > 0) allocating.add(e.getKey() + ": " + bytes / MEASURED_CALLS + " bytes per call");
        }
        assertTrue(allocating.isEmpty(), "kernels that allocate in the steady state: " + allocating);
    }

    private static long[] workerThreadIds(int count) {
        long[] ids = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("panagrad-worker-"))
                .mapToLong(Thread::getId).toArray();
        assertTrue(ids.length >= count, "expected " + count + " GEMM worker threads, found " + ids.length);
        return ids;
    }
}
