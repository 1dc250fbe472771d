package org.panagrad.bench;

import static org.panagrad.bench.RoundStatistics.median;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.Program;

/**
 * One training step (plain SGD, {@link ModelFixture}'s batch) at 1 thread and at 2, alternating in one JVM
 * ({@link Gemm#setThreads} between rounds, the side that goes first swapping every round), so that which
 * instructions lose on two threads reads off one run: a comparison of two JVMs, one per thread count, moves with
 * the host's speed from minute to minute and from JVM to JVM. Each round runs {@code STEPS} untimed steps (the
 * step's wall time), then as many steps instruction by instruction ({@link Program#runTimed}). Prints per round
 * the wall ms of each side, then per op and for the instructions where two threads lose the median ms at 1 and 2
 * threads and the median of the per-round ratios 2 / 1 (above 1: two threads slower).
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dmodel=vit-tiny -Dbatch=128 \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.ThreadsAlternating [STEPS [ROUNDS]]
 * </pre>
 */
public final class ThreadsAlternating {
    private ThreadsAlternating() {}

    public static void main(String[] args) {
        String model = System.getProperty("model", "vit-tiny");
        int batch = Integer.getInteger("batch", 128), warmUp = Integer.getInteger("warmUp", 200);
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 20, rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        ModelFixture f = new ModelFixture(model, batch, 42);
        TrainingStep step = f.compileStep(Sgd.plain(LearningRateSchedule.constant(1e-3)));
        Program program = step.program();
        List<Node> code = program.instructionNodes();
        int[] threads = {1, 2};
        for (int t : threads) {
            Gemm.setThreads(t);
            for (int i = 0; i < warmUp; i++) step.run();
        }
        double[][] wall = new double[2][rounds];
        double[][][] perInstruction = new double[2][code.size()][rounds];
        long[] nanos = new long[code.size()];
        for (int r = 0; r < rounds; r++) {
            for (int turn = 0; turn < 2; turn++) {
                int s = (r & 1) == 0 ? turn : 1 - turn;
                Gemm.setThreads(threads[s]);
                for (int i = 0; i < 3; i++) step.run(); // the new pool's helpers started
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) step.run();
                wall[s][r] = (System.nanoTime() - t0) / 1e6 / steps;
                java.util.Arrays.fill(nanos, 0);
                for (int i = 0; i < steps; i++) program.runTimed(nanos);
                for (int i = 0; i < code.size(); i++) perInstruction[s][i][r] = nanos[i] / 1e6 / steps;
            }
            System.out.printf(Locale.ROOT, "  round %d: 1 thread %.3f ms, 2 threads %.3f ms, 2 / 1 %.3f%n", r, wall[0][r],
                    wall[1][r], wall[1][r] / wall[0][r]);
        }
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) ratio[r] = wall[1][r] / wall[0][r];
        System.out.printf(Locale.ROOT, "%s, batch %d: step wall 1 thread %.3f ms, 2 threads %.3f ms (medians); 2 / 1 %.3f [%.3f - %.3f]%n",
                model, batch, median(wall[0]), median(wall[1]), median(ratio), RoundStatistics.min(ratio), RoundStatistics.max(ratio));
        // Per op: the per-round sums over its instructions.
        Map<String, double[][]> byOp = new LinkedHashMap<>();
        for (int i = 0; i < code.size(); i++) {
            double[][] sums = byOp.computeIfAbsent(code.get(i).op().name(), k -> new double[2][rounds]);
            for (int s = 0; s < 2; s++) for (int r = 0; r < rounds; r++) sums[s][r] += perInstruction[s][i][r];
        }
        List<Map.Entry<String, double[][]>> ops = new ArrayList<>(byOp.entrySet());
        ops.sort((a, b) -> Double.compare(median(b.getValue()[0]), median(a.getValue()[0])));
        System.out.printf("%-28s %10s %10s %8s%n", "op (ms per step, timed)", "1 thread", "2 threads", "2 / 1");
        for (Map.Entry<String, double[][]> e : ops) printRow(e.getKey(), e.getValue(), rounds);
        System.out.println("instructions where two threads lose (median 2 / 1 above 1.05, from 0.05 ms on one thread):");
        for (int i = 0; i < code.size(); i++) {
            double[][] t = {perInstruction[0][i], perInstruction[1][i]};
            if (median(t[0]) < 0.05 || medianRatio(t, rounds) <= 1.05) continue;
            Node n = code.get(i);
            printRow("#" + i + " " + n.op().name() + " " + n.shape(), t, rounds);
        }
    }

    private static double medianRatio(double[][] t, int rounds) {
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) ratio[r] = t[1][r] / t[0][r];
        return median(ratio);
    }

    private static void printRow(String name, double[][] t, int rounds) {
        System.out.printf(Locale.ROOT, "%-40s %10.3f %10.3f %8.3f%n", name, median(t[0]), median(t[1]), medianRatio(t, rounds));
    }
}
