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
import org.panagrad.kernels.Gemm;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.TrainingStep;

import java.util.concurrent.TimeUnit;

/**
 * One compiled training step: forward, softmax cross-entropy, backward and a fused SGD update, on a fixed
 * batch. Samples per second = batch / (seconds per op). Run with -prof gc to see the allocation per step.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TrainStepBench {
    /** An MLP width list ("784-500-10") or a zoo name ("lenet5", "resnet8"). */
    @Param({"784-500-10", "784-128-10", "lenet5", "resnet8"})
    public String model;

    /** The old name of {@link #model}, kept as an alias until every script has moved: when given, it wins. */
    @Param({""})
    public String layers;

    @Param({"64", "128", "256"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    private TrainingStep step;

    @Setup(Level.Trial)
    public void setUp() {
        Gemm.setThreads(threads);
        ModelFixture f = new ModelFixture(layers.isEmpty() ? model : layers, batch, 42);
        step = TrainingStep.compile(f.store, f.loss, f.parameters(), Sgd.plain(LearningRateSchedule.constant(1e-3)), false,
                f.stateUpdates);
        f.feed(step.program());
    }

    @Benchmark
    public float trainStep() {
        return step.run();
    }
}
