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
import org.panagrad.kernels.Gemm;
import org.panagrad.optim.Adam;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Optimizer;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.TrainingStep;

import java.util.concurrent.TimeUnit;

/**
 * One compiled training step: forward, softmax cross-entropy, backward and a fused optimizer update (plain SGD
 * unless {@code -p optimizer=momentum} or {@code adam}), on a fixed batch. Samples per second = batch / (seconds
 * per op). Run with -prof gc to see the allocation per step.
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

    /** sgd (what compare_training.py runs against PyTorch), momentum (the demo's default) or adam. */
    @Param({"sgd"})
    public String optimizer;

    private TrainingStep step;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams benchmark) {
        Gemm.setThreads(threads);
        ModelFixture f = new ModelFixture(layers.isEmpty() ? model : layers, batch, 42);
        Optimizer opt = switch (optimizer) {
            case "sgd" -> Sgd.plain(LearningRateSchedule.constant(1e-3));
            case "momentum" -> Sgd.momentum(LearningRateSchedule.constant(1e-3), 0.9, false);
            case "adam" -> Adam.adam(LearningRateSchedule.constant(1e-4));
            default -> throw new IllegalArgumentException("optimizer " + optimizer + ": expected sgd, momentum or adam");
        };
        step = f.compileStep(opt);
        SteadyWarmUp.untilSteady(benchmark, this);
    }

    @Benchmark
    public float trainStep() {
        return step.run();
    }

    /**
     * The same compiled program run as TrainingStep.run ran it before it checked the step (no loss test, no
     * reading of the updates' norms): trainStep minus this is what the check costs at the training-step level
     * (the kernels' part is UpdatesBench's).
     */
    @Benchmark
    public float trainStepUnchecked() {
        step.optimizer().beforeStep(step.program().store());
        step.program().run();
        return step.program().scalar(step.loss());
    }
}
