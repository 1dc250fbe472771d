package org.panagrad.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
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
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Attention's forward pass as a compiled program, fused (one instruction, online softmax over key blocks) against
 * composed (batched Q K^T, scale, softmax, batched P V; the [T, T] scores stored), at
 * {@code vit-tiny}'s shapes ([128 images, 4 heads, 17 tokens, 16]) and {@code t256} ([4, 4, 256, 64]), unmasked
 * or causal. Target: fused at least 1.5x faster than composed, and never slower. {@code -p pass=gradient} times the
 * forward with the backward to q, k and v (the fused form's backward is one fused instruction too), {@code -p pass=hvp}
 * adds the second order. Each fork first runs the program until a call allocates nothing ({@link SteadyWarmUp});
 * an unknown shape, form or pass fails the fork naming the values it takes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AttentionBench {
    @Param({"vit-tiny", "t256"})
    public String shape;

    @Param({"fused", "composed"})
    public String form;

    @Param({"false"})
    public boolean causal;

    @Param({"1"})
    public int threads;

    /**
     * {@code forward}; {@code gradient}: the gradients of sum(y * r) for q, k and v (the fused form's backward does not
     * read y, so its forward is dead code there); {@code step}: y and those gradients, as a training step needs; {@code hvp}:
     * those gradients and, reverse over reverse, the gradients of their inner product with fixed u (the fused form's
     * second order is one fused instruction, {@code AttentionGradVjp}); {@code hvp-forward}: those gradients and their
     * tangent along u (forward over reverse; the fused form's tangent of its backward is that instruction too).
     */
    @Param({"forward"})
    public String pass;

    private Program program;

    private static final List<String> PASSES = List.of("forward", "gradient", "step", "hvp", "hvp-forward");

    /** Compiles the program, then calls it until it allocates nothing ({@link SteadyWarmUp}) before JMH's warm-up. */
    @Setup(Level.Trial)
    public void setUp(BenchmarkParams benchmark) {
        compile();
        SteadyWarmUp.untilSteady(benchmark, this);
    }

    private void compile() {
        int[] dims = switch (shape) {
            case "vit-tiny" -> new int[] {128, 4, 17, 16};
            case "t256" -> new int[] {4, 4, 256, 64};
            default -> throw new IllegalArgumentException("AttentionBench: unknown shape " + shape + " (vit-tiny or t256)");
        };
        if (!PASSES.contains(pass)) throw new IllegalArgumentException("AttentionBench: unknown pass " + pass + " (one of " + PASSES + ")");
        boolean fused = switch (form) {
            case "fused" -> true;
            case "composed" -> false;
            default -> throw new IllegalArgumentException("AttentionBench: unknown form " + form + " (fused or composed)");
        };
        Gemm.setThreads(threads);
        Graph g = new Graph();
        Node q = g.input("q", dims), k = g.input("k", dims), v = g.input("v", dims);
        AttentionMask mask = causal ? AttentionMask.causalMask() : AttentionMask.NONE;
        Node y = fused ? Ops.fusedAttention(q, k, v, mask) : Ops.attention(q, k, v, mask);
        List<Node> inputs = new ArrayList<>(List.of(q, k, v)), outputs = List.of(y);
        if (!pass.equals("forward")) {
            Node r = g.input("r", y.shape().dims());
            inputs.add(r);
            Node[] grads = Autodiff.grad(Ops.sum(Ops.mul(y, r)), q, k, v);
            outputs = List.of(grads);
            if (pass.equals("step")) outputs = List.of(y, grads[0], grads[1], grads[2]);
            if (pass.startsWith("hvp")) {
                Node[] us = new Node[3];
                Node inner = null;
                for (int i = 0; i < 3; i++) {
                    us[i] = g.input("u" + i, dims);
                    inputs.add(us[i]);
                    Node term = Ops.sum(Ops.mul(grads[i], us[i]));
                    inner = inner == null ? term : Ops.add(inner, term);
                }
                outputs = new ArrayList<>(List.of(grads));
                if (pass.equals("hvp")) outputs.addAll(List.of(Autodiff.grad(inner, q, k, v)));
                else outputs.addAll(List.of(Autodiff.jvp(grads, new Node[] {q, k, v}, us)));
            }
        }
        program = Compiler.compile(new ParameterStore(), outputs);
        SplittableRandom rnd = new SplittableRandom(1);
        for (Node in : inputs) {
            float[] values = new float[in.shape().numel()];
            for (int e = 0; e < values.length; e++) values[e] = (float) rnd.nextDouble(-1, 1);
            program.set(in, values);
        }
    }

    @Benchmark
    public void forward() {
        program.run();
    }
}
