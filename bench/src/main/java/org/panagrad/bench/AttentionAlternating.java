package org.panagrad.bench;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;
import org.panagrad.ops.AttentionMask;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * AttentionBench's two forms, fused and composed, called alternately in one JVM and timed by their fastest call of
 * many (a program, not JMH): on a VM whose other tenants take most of the core, the fastest call is the one that
 * ran undisturbed, so the ratio of minima stays readable where JMH's averages spread by 10x. JMH in a quiet window
 * remains the measurement; this is the indication under load.
 * A flag {@code unlowered} compiles the fused side without the compiler's lowerings, so that at head dims below 16
 * the fused kernel itself is timed (by default the compiler composes it there). {@code -Dthreads=N} sets the kernels'
 * threads (default: the processors available); {@code -Dcalls=N} the calls per form (default 300).
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.panagrad.bench.AttentionAlternating \
 *     128,4,17,16 4,4,256,64 4,4,256,64:causal 128,4,17,16:gradient 16,4,256,8:unlowered</pre>
 */
public final class AttentionAlternating {
    private AttentionAlternating() {}

    public static void main(String[] args) {
        int calls = Integer.getInteger("calls", 300);
        Gemm.setThreads(Integer.getInteger("threads", Runtime.getRuntime().availableProcessors()));
        for (String arg : args) {
            String[] parts = arg.split(":");
            int[] dims = Arrays.stream(parts[0].split(",")).mapToInt(Integer::parseInt).toArray();
            List<String> flags = Arrays.asList(parts).subList(1, parts.length);
            AttentionMask mask = flags.contains("causal") ? AttentionMask.causalMask() : AttentionMask.NONE;
            boolean gradient = flags.contains("gradient");
            Compiler.Options options = flags.contains("unlowered") ? Compiler.Options.UNLOWERED : Compiler.Options.ALL;
            Program fused = program(dims, mask, true, gradient, options), composed = program(dims, mask, false, gradient, options);
            long bestFused = Long.MAX_VALUE, bestComposed = Long.MAX_VALUE;
            for (int i = 0; i < calls; i++) {
                bestFused = Math.min(bestFused, timed(fused));
                bestComposed = Math.min(bestComposed, timed(composed));
            }
            System.out.printf(Locale.ROOT, "%s: fused %.1f µs, composed %.1f µs (fastest of %d each): composed / fused %.2f%n",
                    arg, bestFused / 1e3, bestComposed / 1e3, calls, (double) bestComposed / bestFused);
        }
    }

    private static long timed(Program p) {
        long t0 = System.nanoTime();
        p.run();
        return System.nanoTime() - t0;
    }

    /** The forward, or with {@code gradient} the forward and the gradients of sum(y * r) for q, k and v. */
    private static Program program(int[] dims, AttentionMask mask, boolean fusedForm, boolean gradient,
                                   Compiler.Options options) {
        Graph g = new Graph();
        Node q = g.input("q", dims), k = g.input("k", dims), v = g.input("v", dims);
        Node y = fusedForm ? Ops.fusedAttention(q, k, v, mask) : Ops.attention(q, k, v, mask);
        List<Node> inputs = new ArrayList<>(List.of(q, k, v)), outputs = List.of(y);
        if (gradient) {
            Node r = g.input("r", y.shape().dims());
            inputs.add(r);
            outputs = List.of(Autodiff.grad(Ops.sum(Ops.mul(y, r)), q, k, v));
        }
        Program p = Compiler.compile(new ParameterStore(), outputs, options);
        SplittableRandom rnd = new SplittableRandom(1);
        for (Node in : inputs) {
            float[] values = new float[in.shape().numel()];
            for (int e = 0; e < values.length; e++) values[e] = (float) rnd.nextDouble(-1, 1);
            p.set(in, values);
        }
        return p;
    }
}
