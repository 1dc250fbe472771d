package org.panagrad.demo;

import org.panagrad.curvature.PrivateTrainingStep;
import org.panagrad.curvature.RdpAccountant;
import org.panagrad.graph.Node;
import org.panagrad.io.Mnist;
import org.panagrad.nn.Forward;
import org.panagrad.ops.Ops;
import org.panagrad.optim.Optimizer;
import org.panagrad.optim.TrainingStep;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * DP-SGD: a first-order optimizer compiled with clipped, noised per-sample gradients
 * ({@link PrivateTrainingStep}), and after each epoch the epsilon spent for the given delta by the RDP
 * accountant with sampling rate batch / images, as TF Privacy's tutorials account for shuffled batches.
 */
final class PrivateBatchStep extends FirstOrderBatchStep {
    private final Batch full, last;
    private final RdpAccountant accountant;
    private final double delta, samplingRate;
    private final long stepsPerEpoch;
    private final PrintWriter out;

    private record Batch(int size, Node images, Node labels, Node loss, PrivateTrainingStep step) {}

    private Batch lastRun;

    PrivateBatchStep(Model model, String name, Optimizer optimizer, int batch, int lastBatch, double clip, double noise,
                     double delta, int images, long seed, PrintWriter out) {
        super(model, name, optimizer);
        this.full = compile(model, "train", batch, optimizer, clip, noise, seed);
        this.last = lastBatch == 0 ? null : compile(model, "train_last", lastBatch, optimizer, clip, noise, seed + 1);
        this.samplingRate = (double) batch / images;
        this.accountant = new RdpAccountant(samplingRate, noise);
        this.delta = delta;
        this.stepsPerEpoch = images / batch + (lastBatch == 0 ? 0 : 1);
        this.out = out;
    }

    private static Batch compile(Model model, String prefix, int size, Optimizer optimizer, double clip, double noise, long seed) {
        Node x = model.graph.input(prefix + ".dp.x", size, model.inputWidth());
        Node y = model.graph.labels(prefix + ".dp.y", size, Mnist.CLASSES);
        Forward pass = Forward.train();
        Node loss = Ops.crossEntropy(model.mlp.forward(x, pass), y);
        return new Batch(size, x, y, loss, PrivateTrainingStep.compile(model.store, loss, pass.layerCalls(), model.parameters(),
                optimizer, clip, noise, seed));
    }

    @Override
    public float step(float[] images, int[] labels, int size) {
        Batch b = size == full.size() ? full : last != null && size == last.size() ? last : null;
        if (b == null) throw new IllegalArgumentException("no DP-SGD step compiled for a batch of " + size + " images");
        b.step().program().bind(b.images(), images, 0);
        b.step().program().setLabels(b.labels(), labels, 0);
        lastRun = b;
        float loss = b.step().run();
        long steps = optimizer.stepCount();
        if (steps % stepsPerEpoch == 0) {
            accountant.step(steps - accountant.steps());
            out.printf(Locale.ROOT, "DP-SGD after %d steps (epoch %d): epsilon %.3f for delta %.3g (RDP; noise %.3g, clip %.3g,"
                            + " sampling rate %.5f); epsilon %.3f by the classic conversion%n", steps, steps / stepsPerEpoch,
                    accountant.epsilon(delta, RdpAccountant.Conversion.IMPROVED), delta, full.step().gradients().noiseMultiplier(),
                    full.step().gradients().clip(), samplingRate, accountant.epsilon(delta, RdpAccountant.Conversion.CLASSIC));
            out.flush();
        }
        return loss;
    }

    @Override
    TrainingStep lastRun() {
        return (lastRun == null ? full : lastRun).step().step();
    }

    @Override
    Node lastLoss() {
        return (lastRun == null ? full : lastRun).loss();
    }

    @Override
    List<TrainingStep> steps() {
        List<TrainingStep> steps = new ArrayList<>(List.of(full.step().step()));
        if (last != null) steps.add(last.step().step());
        return steps;
    }
}
