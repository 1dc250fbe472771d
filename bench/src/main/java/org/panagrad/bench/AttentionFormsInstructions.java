package org.panagrad.bench;

import static org.panagrad.bench.RoundStatistics.max;
import static org.panagrad.bench.RoundStatistics.median;
import static org.panagrad.bench.RoundStatistics.min;

import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;
import org.panagrad.ops.AttentionMask;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.SplittableRandom;

/**
 * {@link AttentionBench}'s two forward programs, fused and composed, at one shape in one JVM, instruction by
 * instruction ({@link Program#runTimed}): rounds alternate between the two (the one timed first swaps every round),
 * then each program's instructions are listed. What the composed form spends beside its two batched products
 * (the scale, the softmax's passes over the stored [T, T] scores) is the most a fused forward can save; the fused
 * form still computes both products and the exponentials.
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dshape=t256 -Dthreads=1 \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.AttentionFormsInstructions
 * </pre>
 * {@code -Dshape=t256} ([4, 4, 256, 64]) or {@code vit-tiny} ([128, 4, 17, 16]); {@code -Dcausal=true};
 * {@code -Drounds}, {@code -Dreps} (runs per round and program), {@code -Dwarmup}.
 */
public final class AttentionFormsInstructions {
    private AttentionFormsInstructions() {}

    public static void main(String[] args) {
        String shape = System.getProperty("shape", "t256");
        boolean causal = Boolean.getBoolean("causal");
        int threads = Integer.getInteger("threads", 1), rounds = Integer.getInteger("rounds", 11);
        int reps = Integer.getInteger("reps", 50), warmup = Integer.getInteger("warmup", 1000);
        int[] dims = switch (shape) {
            case "vit-tiny" -> new int[] {128, 4, 17, 16};
            case "t256" -> new int[] {4, 4, 256, 64};
            default -> throw new IllegalArgumentException("AttentionFormsInstructions: unknown shape " + shape + " (vit-tiny or t256)");
        };
        Gemm.setThreads(threads);
        Program[] programs = {compile(dims, causal, true), compile(dims, causal, false)};
        String[] names = {"fused", "composed"};
        for (int i = 0; i < warmup; i++) for (Program p : programs) p.run();
        double[][] totals = new double[2][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int s = 0; s < 2; s++) {
                int side = (r + s) % 2;
                totals[side][r] = InstructionTimes.of(names[side], programs[side], reps).totalMillis();
            }
        }
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) ratio[r] = totals[1][r] / totals[0][r];
        System.out.printf("%s%s, %d thread(s), %d rounds of %d runs each:%n", shape, causal ? " causal" : "", threads, rounds, reps);
        System.out.printf("  fused %.3f ms, composed %.3f ms (medians); composed / fused per round: median %.3f [%.3f - %.3f]%n",
                median(totals[0]), median(totals[1]), median(ratio), min(ratio), max(ratio));
        for (int s = 0; s < 2; s++) InstructionTimes.of(names[s], programs[s], reps).printSlowest(12);
    }

    private static Program compile(int[] dims, boolean causal, boolean fused) {
        Graph g = new Graph();
        Node q = g.input("q", dims), k = g.input("k", dims), v = g.input("v", dims);
        AttentionMask mask = causal ? AttentionMask.causalMask() : AttentionMask.NONE;
        Node y = fused ? Ops.fusedAttention(q, k, v, mask) : Ops.attention(q, k, v, mask);
        Program program = Compiler.compile(new ParameterStore(), java.util.List.of(y));
        SplittableRandom rnd = new SplittableRandom(1);
        for (Node in : new Node[] {q, k, v}) {
            float[] values = new float[in.shape().numel()];
            for (int e = 0; e < values.length; e++) values[e] = (float) rnd.nextDouble(-1, 1);
            program.set(in, values);
        }
        return program;
    }
}
