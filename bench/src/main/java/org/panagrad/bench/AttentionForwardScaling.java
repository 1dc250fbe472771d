package org.panagrad.bench;

import org.panagrad.kernels.Attention;
import org.panagrad.kernels.AttentionDims;
import org.panagrad.kernels.Gemm;
import org.panagrad.kernels.GemmOperand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;

/**
 * Whether the fused attention forward at t256 ([16 entries, 256, 256, 64], the packed path) gains at two threads,
 * against what two threads can give it: fastest of {@code -Dcalls} calls per line, the lines in turn, {@code
 * -Drounds} rounds, each round's load printed. {@code pool1} / {@code pool2}: {@code Attention.forward} on the
 * GEMM's pool of 1 / 2 threads (units of query rows claimed from a counter); {@code twoJava}: the pool at 1
 * thread, two Java threads each running the forward on its own half of the entries (the ceiling);
 * {@code gemm1} / {@code gemm2}: the forward's GEMMs alone (per unit of {@code AttentionDims.forwardRows()} query
 * rows, 256 here: Q K^T 256 x 256 x 64 and P V 256 x 64 x 256), on one thread / two Java threads with half each.
 * Not JMH: a harness for the one question.
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar \
 *     org.panagrad.bench.AttentionForwardScaling      # about 30 s on a quiet machine
 * </pre>
 */
public final class AttentionForwardScaling {
    private static final int B = 16, T = 256, D = 64, BLOCK = new AttentionDims(B, T, T, D, D, 0.125f, false).forwardRows();
    private static final int CALLS = Integer.getInteger("calls", 40), ROUNDS = Integer.getInteger("rounds", 5);

    private final float[] q, k, v, out = new float[B * T * D];
    /** Per unit of query rows: Q rows, K transposed, the block's scores (per half), V, the output rows. */
    private final GemmOperand[][] blocks = new GemmOperand[B * T / BLOCK][];

    private AttentionForwardScaling() {
        Random r = new Random(1);
        q = random(r);
        k = random(r);
        v = random(r);
        float[][] scores = {new float[BLOCK * T], new float[BLOCK * T]};
        for (int u = 0; u < blocks.length; u++) {
            int b = u / (T / BLOCK), i0 = u % (T / BLOCK) * BLOCK, s = u < blocks.length / 2 ? 0 : 1;
            blocks[u] = new GemmOperand[] {GemmOperand.of(q, (b * T + i0) * D, D), GemmOperand.transposeOf(k, b * T * D, D),
                GemmOperand.of(scores[s], 0, T), GemmOperand.of(v, b * T * D, D), GemmOperand.of(out, (b * T + i0) * D, D)};
        }
    }

    public static void main(String[] args) throws Exception {
        AttentionForwardScaling h = new AttentionForwardScaling();
        AttentionDims all = new AttentionDims(B, T, T, D, D, 0.125f, false);
        AttentionDims half = new AttentionDims(B / 2, T, T, D, D, 0.125f, false);
        System.out.println("# " + Gemm.describe() + "; JDK " + Runtime.version() + "; " + CALLS + " calls per line");
        for (int w = 0; w < 3; w++) h.round(all, half);
        for (int round = 1; round <= ROUNDS; round++) {
            String load = load();
            double[] t = h.round(all, half);
            System.out.printf("round %d load %s  pool1 %.0f  pool2 %.0f (%.2fx)  twoJava %.0f (%.2fx)  gemm1 %.0f"
                    + "  gemm2 %.0f (%.2fx) us%n", round, load, t[0], t[1], t[0] / t[1], t[2], t[0] / t[2], t[3], t[4], t[3] / t[4]);
        }
    }

    private double[] round(AttentionDims all, AttentionDims half) throws Exception {
        Runnable whole = () -> Attention.forward(all, null, q, 0, k, 0, v, 0, out, 0);
        int n = half.batch() * T * D;
        Runnable first = () -> Attention.forward(half, null, q, 0, k, 0, v, 0, out, 0);
        Runnable second = () -> Attention.forward(half, null, q, n, k, n, v, n, out, n);
        Runnable gemmsFirst = () -> gemms(0, blocks.length / 2), gemmsSecond = () -> gemms(blocks.length / 2, blocks.length);
        Gemm.setThreads(1);
        double pool1 = fastest(whole);
        Gemm.setThreads(2);
        double pool2 = fastest(whole);
        Gemm.setThreads(1);
        return new double[] {pool1, pool2, fastestOnTwo(first, second), fastest(() -> gemms(0, blocks.length)),
            fastestOnTwo(gemmsFirst, gemmsSecond)};
    }

    private void gemms(int from, int to) {
        for (int u = from; u < to; u++) {
            GemmOperand[] o = blocks[u];
            Gemm.gemm(BLOCK, T, D, 1f, o[0], o[1], 0f, o[2]);
            Gemm.gemm(BLOCK, D, T, 1f, o[2], o[3], 0f, o[4]);
        }
    }

    private static double fastest(Runnable call) {
        long best = Long.MAX_VALUE;
        for (int c = 0; c < CALLS; c++) {
            long t0 = System.nanoTime();
            call.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best / 1e3;
    }

    /** Fastest of CALLS calls of {@code mine} here while {@code other} runs on a second thread, both started together. */
    private static double fastestOnTwo(Runnable mine, Runnable other) throws Exception {
        CyclicBarrier start = new CyclicBarrier(2), end = new CyclicBarrier(2);
        Thread helper = new Thread(() -> {
            try {
                for (int c = 0; c < CALLS; c++) {
                    start.await();
                    other.run();
                    end.await();
                }
            } catch (InterruptedException | BrokenBarrierException e) {
                throw new IllegalStateException(e);
            }
        });
        helper.start();
        long best = Long.MAX_VALUE;
        for (int c = 0; c < CALLS; c++) {
            start.await();
            long t0 = System.nanoTime();
            mine.run();
            end.await();
            best = Math.min(best, System.nanoTime() - t0);
        }
        helper.join();
        return best / 1e3;
    }

    private static float[] random(Random r) {
        float[] x = new float[B * T * D];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
        return x;
    }

    private static String load() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }
}
