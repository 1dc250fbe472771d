package org.panagrad.bench;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

/**
 * Batch norm in training mode alone, at the activations of resnet8's three stages (batch 128 on 28 x 28 inputs):
 * the compiled program of its forward pass and of its VJP (input, weight and bias gradients for a given
 * cotangent), as a training step runs them. {@code -p shape=resnet8.layer1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class BatchNormBench {
    /** {channels, height, width} at batch 128. */
    static final Map<String, int[]> SHAPES = Map.of(
            "resnet8.layer1", new int[] {16, 28, 28},
            "resnet8.layer2", new int[] {32, 14, 14},
            "resnet8.layer3", new int[] {64, 7, 7});

    @Param({"resnet8.layer1", "resnet8.layer2", "resnet8.layer3"})
    public String shape;

    private Program program;

    @Setup
    public void setup() {
        int[] d = SHAPES.get(shape);
        if (d == null) throw new IllegalArgumentException("unknown shape " + shape + "; one of " + SHAPES.keySet());
        Graph g = new Graph();
        Node x = g.input("x", ConvBench.BATCH, d[0], d[1], d[2]), w = g.input("w", d[0]), b = g.input("b", d[0]);
        Node gy = g.input("gy", ConvBench.BATCH, d[0], d[1], d[2]);
        Node y = Ops.batchNorm(x, w, b, 1e-5);
        Node[] grads = Autodiff.vjp(y, gy, x, w, b);
        program = Compiler.compile(new ParameterStore(), List.of(y, grads[0], grads[1], grads[2]));
        Random rnd = new Random(1);
        for (Node in : List.of(x, w, b, gy)) program.set(in, GemmBench.random(rnd, in.shape().numel()));
    }

    @Benchmark
    public Program forwardAndBackward() {
        program.run();
        return program;
    }
}
