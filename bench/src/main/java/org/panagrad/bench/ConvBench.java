package org.panagrad.bench;

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
import org.panagrad.kernels.ConvShape;
import org.panagrad.kernels.Convolution;
import org.panagrad.kernels.Gemm;

/**
 * Each distinct convolution of the zoo's lenet5 and resnet8 at batch 128 on 28 x 28 inputs: the forward pass
 * (with bias, as F.conv2d(x, w, b)), the input gradient and the weight gradient, on the kernels the programs
 * call. bench/compare_conv.py runs the same shapes in PyTorch (oneDNN) beside it.
 * {@code -p shape=resnet8.layer2.conv1 -p pass=forward -p threads=1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ConvBench {
    /** {in channels, height, width, out channels, kernel, stride, padding} at batch {@link #BATCH}. */
    static final Map<String, int[]> SHAPES = Map.of(
            "lenet5.0", new int[] {1, 28, 28, 6, 5, 1, 2},
            "lenet5.3", new int[] {6, 14, 14, 16, 5, 1, 0},
            "resnet8.conv1", new int[] {1, 28, 28, 16, 3, 1, 1},
            "resnet8.layer1", new int[] {16, 28, 28, 16, 3, 1, 1},
            "resnet8.layer2.conv1", new int[] {16, 28, 28, 32, 3, 2, 1},
            "resnet8.layer2.conv2", new int[] {32, 14, 14, 32, 3, 1, 1},
            "resnet8.layer2.downsample", new int[] {16, 28, 28, 32, 1, 2, 0},
            "resnet8.layer3.conv1", new int[] {32, 14, 14, 64, 3, 2, 1},
            "resnet8.layer3.conv2", new int[] {64, 7, 7, 64, 3, 1, 1},
            "resnet8.layer3.downsample", new int[] {32, 14, 14, 64, 1, 2, 0});
    static final int BATCH = 128;

    @Param({"lenet5.0", "lenet5.3", "resnet8.conv1", "resnet8.layer1", "resnet8.layer2.conv1", "resnet8.layer2.conv2",
            "resnet8.layer2.downsample", "resnet8.layer3.conv1", "resnet8.layer3.conv2", "resnet8.layer3.downsample"})
    public String shape;
    @Param({"forward", "input_grad", "weight_grad"}) public String pass;
    @Param({"1", "2"}) public int threads;

    private ConvShape s;
    private float[] x, w, bias, y, dx, dw;

    @Setup
    public void setup() {
        Gemm.setThreads(threads);
        int[] d = SHAPES.get(shape);
        if (d == null) throw new IllegalArgumentException("unknown shape " + shape + "; one of " + SHAPES.keySet());
        s = new ConvShape(BATCH, d[0], d[1], d[2], d[3], d[4], d[4], d[5], d[5], d[6], d[6], 1, 1, 1);
        Random rnd = new Random(1);
        x = GemmBench.random(rnd, BATCH * s.imageSize());
        w = GemmBench.random(rnd, s.outChannels() * s.patchRows());
        bias = GemmBench.random(rnd, s.outChannels());
        y = GemmBench.random(rnd, BATCH * s.outImageSize());
        dx = new float[x.length];
        dw = new float[w.length];
    }

    @Benchmark
    public float[] conv() {
        switch (pass) {
            case "forward":
                Convolution.forward(s, x, 0, w, 0, bias, 0, false, y, 0);
                return y;
            case "input_grad":
                Convolution.inputGradient(s, y, 0, w, 0, dx, 0);
                return dx;
            case "weight_grad":
                Convolution.weightGradient(s, x, 0, y, 0, dw, 0);
                return dw;
            default:
                throw new IllegalArgumentException("pass is forward, input_grad or weight_grad, not " + pass);
        }
    }
}
