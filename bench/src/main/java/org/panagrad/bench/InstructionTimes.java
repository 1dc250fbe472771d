package org.panagrad.bench;

import org.panagrad.graph.Node;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A program's instructions timed one by one ({@link Program#runTimed}) over a number of runs: the tables the
 * per-instruction profilers print (the slowest instructions with op, shape and rate; the time summed per op).
 */
final class InstructionTimes {
    private final String name;
    private final List<Node> code;
    private final long[] nanos;
    private final int reps;

    private InstructionTimes(String name, Program program, int reps) {
        this.name = name;
        this.code = program.instructionNodes();
        this.nanos = new long[code.size()];
        this.reps = reps;
        for (int r = 0; r < reps; r++) program.runTimed(nanos);
    }

    /** Times reps runs of the program. */
    static InstructionTimes of(String name, Program program, int reps) {
        return new InstructionTimes(name, program, reps);
    }

    /** The timed instructions' total, ms per run. */
    double totalMillis() {
        long total = 0;
        for (long t : nanos) total += t;
        return total / 1e6 / reps;
    }

    /** Prints the program's total and its top slowest instructions; returns the total, ms per run. */
    double printSlowest(int top) {
        long flops = 0;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < code.size(); i++) {
            flops += code.get(i).op().flops(code.get(i));
            order.add(i);
        }
        order.sort((a, b) -> Long.compare(nanos[b], nanos[a]));
        double total = totalMillis();
        System.out.printf("%s: %d instructions, %.3f ms per run (timed), %.1f MFLOP%n", name, code.size(), total, flops / 1e6);
        for (int i : order.subList(0, Math.min(top, order.size()))) {
            Node n = code.get(i);
            double ms = nanos[i] / 1e6 / reps, mflop = n.op().flops(n) / 1e6;
            System.out.printf("  #%-3d %-22s %-22s %8.3f ms %5.1f%% %8.1f MFLOP %6.1f GFLOP/s%n", i, n.op().name(), n.shape(), ms,
                    100.0 * ms / total, mflop, ms > 0 ? mflop / ms : 0);
        }
        return total;
    }

    /**
     * Writes one tab-separated line per instruction: its index, microseconds per run, MFLOP, op name, output shape
     * and input shapes, so that a program can be grouped by product shape or kind outside the JVM.
     */
    void writeTsv(java.nio.file.Path file) throws java.io.IOException {
        StringBuilder sb = new StringBuilder("index\tus\tmflop\top\tshape\tinputs\n");
        for (int i = 0; i < code.size(); i++) {
            Node n = code.get(i);
            sb.append(i).append('\t').append(String.format(java.util.Locale.ROOT, "%.2f\t%.3f", nanos[i] / 1e3 / reps,
                    n.op().flops(n) / 1e6)).append('\t').append(n.op().name()).append('\t').append(n.shape()).append('\t');
            for (int k = 0; k < n.arity(); k++) sb.append(k == 0 ? "" : " ").append(n.input(k).shape());
            sb.append('\n');
        }
        java.nio.file.Files.writeString(file, sb);
    }

    /** Ms per run summed per op name, with the instruction count, slowest first. */
    Map<String, double[]> byOp() {
        Map<String, double[]> sums = new LinkedHashMap<>();
        for (int i = 0; i < code.size(); i++) {
            double[] s = sums.computeIfAbsent(code.get(i).op().name(), k -> new double[2]);
            s[0] += nanos[i] / 1e6 / reps;
            s[1]++;
        }
        List<Map.Entry<String, double[]>> entries = new ArrayList<>(sums.entrySet());
        entries.sort((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]));
        Map<String, double[]> sorted = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : entries) sorted.put(e.getKey(), e.getValue());
        return sorted;
    }
}
