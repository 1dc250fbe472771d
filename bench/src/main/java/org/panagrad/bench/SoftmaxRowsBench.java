package org.panagrad.bench;

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
import org.panagrad.kernels.Axis;
import org.panagrad.kernels.Softmax;

/**
 * The training step's loss and its gradient over a batch of logit rows, one thread: 128 rows of 10 classes (MNIST;
 * at 16 lanes a row is shorter than one vector, at 8 lanes one vector and a tail of 2) and of 100 (6 vectors and a
 * tail of 4 at 16 lanes). The logits fill their array exactly, so the last row ends at the array's end, as the
 * output layer's may in the arena. Time per batch; with -prof gc, what it allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SoftmaxRowsBench {
    @Param({"10", "100"})
    public int classes;

    @Param({"128"})
    public int batch;

    private Axis rows;
    private float[] logits, labels, grad;

    @Setup
    public void setUp() {
        Random rnd = new Random(classes);
        rows = new Axis(batch, classes, 1);
        logits = new float[batch * classes];
        grad = new float[batch * classes];
        labels = new float[batch];
        for (int i = 0; i < logits.length; i++) logits[i] = 8 * rnd.nextFloat() - 4;
        for (int i = 0; i < batch; i++) labels[i] = rnd.nextInt(classes);
    }

    @Benchmark
    public float crossEntropyMean() {
        return Softmax.crossEntropyMean(rows, -100, logits, 0, labels, 0);
    }

    @Benchmark
    public float[] crossEntropyGrad() {
        Softmax.crossEntropyGrad(rows, -100, logits, 0, labels, 0, grad, 0);
        return grad;
    }
}
