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
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Layout ops and batched matmul at attention and CNN shapes, each as a compiled one-instruction program (what a
 * model runs), with a plain copy of as many floats beside the permutes:
 * <ul>
 *   <li>{@code bthd>bhtd}: [128,17,4,16] to [128,4,17,16], splitting heads (and back, {@code bhtd>bthd});</li>
 *   <li>{@code nchw>nhwc}: [128,16,14,14] to [128,14,14,16] (and back); {@code mT}: [128,64,48] with its last two
 *       axes swapped;</li>
 *   <li>{@code qk}: scores Q K^T, [128,4,17,16] by [128,4,17,16] transposed; {@code pv}: [128,4,17,17] by
 *       [128,4,17,16]; {@code linear}: [128,17,64] by [64,64], one GEMM over 2176 folded rows; {@code linear2d}:
 *       the same product stated as [2176,64] by [64,64].</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class LayoutBench {
    @Param({"bthd>bhtd", "bhtd>bthd", "nchw>nhwc", "nhwc>nchw", "mT", "qk", "pv", "linear", "linear2d"})
    public String op;

    @Param({"1"})
    public int threads;

    private Program program;
    private float[] from, to;

    @Setup(Level.Trial)
    public void setUp() {
        Gemm.setThreads(threads);
        Graph g = new Graph();
        Node y = switch (op) {
            case "bthd>bhtd" -> Ops.permute(g.input("x", 128, 17, 4, 16), 0, 2, 1, 3);
            case "bhtd>bthd" -> Ops.permute(g.input("x", 128, 4, 17, 16), 0, 2, 1, 3);
            case "nchw>nhwc" -> Ops.permute(g.input("x", 128, 16, 14, 14), 0, 2, 3, 1);
            case "nhwc>nchw" -> Ops.permute(g.input("x", 128, 14, 14, 16), 0, 3, 1, 2);
            case "mT" -> Ops.transpose(g.input("x", 128, 64, 48));
            case "qk" -> Ops.matmul(g.input("q", 128, 4, 17, 16), g.input("k", 128, 4, 17, 16), false, true);
            case "pv" -> Ops.matmul(g.input("p", 128, 4, 17, 17), g.input("v", 128, 4, 17, 16));
            case "linear" -> Ops.matmul(g.input("x", 128, 17, 64), g.input("w", 64, 64));
            case "linear2d" -> Ops.matmul(g.input("x", 2176, 64), g.input("w", 64, 64));
            default -> throw new IllegalArgumentException("unknown op " + op);
        };
        program = Compiler.compile(new ParameterStore(), List.of(y));
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < y.arity(); i++) {
            float[] values = new float[y.input(i).shape().numel()];
            for (int e = 0; e < values.length; e++) values[e] = (float) rnd.nextDouble(-1, 1);
            program.set(y.input(i), values);
        }
        from = new float[y.shape().numel()];
        to = new float[from.length];
    }

    @Benchmark
    public Program run() {
        program.run();
        return program;
    }

    /** The floats a permute moves, copied contiguously: the floor a permute is measured against. */
    @Benchmark
    public float[] copy() {
        System.arraycopy(from, 0, to, 0, from.length);
        return to;
    }
}
