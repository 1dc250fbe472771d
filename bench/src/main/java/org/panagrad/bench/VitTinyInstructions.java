package org.panagrad.bench;

import org.panagrad.graph.Node;
import org.panagrad.runtime.Program;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where vit-tiny's gradient and reverse-over-reverse HVP ({@link VitTinyBench}'s programs) spend their time: every
 * instruction timed ({@link Program#runTimed}) over {@code -Dreps} runs after a warm-up, summed by op name, with
 * each op's share and its arithmetic (the ops' own flop counts), and the two programs' wall times and ratio.
 * <pre>
 * java --add-modules jdk.incubator.vector -Dthreads=1 -cp bench/target/benchmarks.jar org.panagrad.bench.VitTinyInstructions
 * </pre>
 */
public final class VitTinyInstructions {
    private VitTinyInstructions() {}

    public static void main(String[] args) {
        int reps = Integer.getInteger("reps", 20);
        VitTinyBench bench = new VitTinyBench();
        bench.threads = Integer.getInteger("threads", 1);
        bench.batch = 128;
        bench.compile();
        for (int i = 0; i < 40; i++) {
            bench.gradient();
            bench.hvp();
        }
        report("gradient", bench.gradient, reps);
        report("hvp", bench.hvp.program(), reps);
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) bench.gradient();
        long t1 = System.nanoTime();
        for (int i = 0; i < reps; i++) bench.hvp();
        long t2 = System.nanoTime();
        System.out.printf("threads %d, wall: gradient %.2f ms, hvp %.2f ms, hvp / gradient %.2f%n", bench.threads,
                (t1 - t0) / 1e6 / reps, (t2 - t1) / 1e6 / reps, (double) (t2 - t1) / (t1 - t0));
    }

    private static void report(String name, Program p, int reps) {
        List<Node> code = p.instructionNodes();
        long[] nanos = new long[code.size()];
        for (int r = 0; r < reps; r++) p.runTimed(nanos);
        Map<String, long[]> byOp = new HashMap<>(); // time, instructions, flops
        long time = 0, flops = 0;
        for (int i = 0; i < code.size(); i++) {
            Node n = code.get(i);
            long[] e = byOp.computeIfAbsent(n.op().name(), k -> new long[3]);
            e[0] += nanos[i];
            e[1]++;
            e[2] += n.op().flops(n);
            time += nanos[i];
            flops += n.op().flops(n);
        }
        System.out.printf("%s: %d instructions, %.2f ms per run (timed), %.1f MFLOP%n", name, code.size(), time / 1e6 / reps, flops / 1e6);
        long total = time;
        byOp.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0])).limit(20)
                .forEach(e -> System.out.printf("  %-28s %5d instr %9.3f ms %6.1f%% %9.1f MFLOP%n", e.getKey(), e.getValue()[1],
                        e.getValue()[0] / 1e6 / reps, 100.0 * e.getValue()[0] / total, e.getValue()[2] / 1e6));
    }
}
