package org.panagrad.bench;

import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.io.Dataset;
import org.panagrad.io.Mnist;
import org.panagrad.io.SafeTensors;
import org.panagrad.io.TensorData;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.nn.StateEntry;
import org.panagrad.nn.VisionTransformer;
import org.panagrad.ops.Ops;
import org.panagrad.optim.Adam;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * vit-tiny on MNIST until the demo's {@code train --model} exists: AdamW (weight decay 0.05) with linear warm-up over
 * the first epoch's first 200 steps and cosine decay to 0 over the run, batch 128 (the last smaller batch dropped),
 * a seeded shuffle per epoch; test accuracy after every epoch; the state dict (PyTorch names and layouts) written as
 * safetensors after every epoch, which {@code mnist-demo/scripts/torch_interop.py vit-eval} loads into torchvision's
 * VisionTransformer with strict=True.
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.panagrad.bench.VitTinyTraining
 *     [--data DIR] [--epochs 10] [--lr 2e-3] [--seed 1] [--train-limit 60000] [--out vit-tiny.safetensors]</pre>
 */
public final class VitTinyTraining {
    private VitTinyTraining() {}

    public static void main(String[] args) throws IOException {
        Map<String, String> opts = SecondOrderComparison.parse(args);
        Mnist mnist = Mnist.load(opts.containsKey("data") ? Path.of(opts.get("data")) : null);
        int epochs = Integer.parseInt(opts.getOrDefault("epochs", "10")), batch = 128;
        double lr = Double.parseDouble(opts.getOrDefault("lr", "2e-3"));
        long seed = Long.parseLong(opts.getOrDefault("seed", "1"));
        Path out = Path.of(opts.getOrDefault("out", "vit-tiny.safetensors"));

        Graph g = new Graph();
        VisionTransformer vit = VisionTransformer.vitTiny(g);
        ParameterStore store = new ParameterStore();
        vit.initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(seed));
        Dataset train = mnist.train(), test = mnist.test();
        int used = Math.min(train.count(), Integer.parseInt(opts.getOrDefault("train-limit", "60000")));
        int pixels = train.pixelsPerImage(), steps = used / batch;
        Node x = g.input("x", batch, pixels), y = g.labels("y", batch, Mnist.CLASSES);
        Node loss = Ops.crossEntropy(vit.forward(x, Forward.train()), y);
        Adam adamW = Adam.adamW(LearningRateSchedule.cosine(lr, 0, (long) epochs * steps).withWarmup(200), 0.05);
        TrainingStep step = TrainingStep.compile(store, loss, vit.parameters(), adamW, false);
        int evalBatch = 500;
        Node ex = g.input("eval.x", evalBatch, pixels);
        Node logits = vit.forward(ex, Forward.eval());
        Program eval = Compiler.compile(store, List.of(logits));
        System.out.printf(Locale.ROOT, "vit-tiny (%,d parameters), AdamW lr %.1e wd 0.05, warm-up 200, cosine over %d steps, batch %d, seed %d%n",
                vit.parameters().stream().mapToInt(p -> p.shape().numel()).sum(), lr, epochs * steps, batch, seed);

        float[] images = new float[batch * pixels];
        int[] labels = new int[batch], order = new int[train.count()]; // shuffles all; uses the first `used`
        SplittableRandom shuffle = new SplittableRandom(seed + 1);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            for (int i = 0; i < order.length; i++) order[i] = i;
            for (int i = order.length - 1; i > 0; i--) {
                int j = shuffle.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            long t0 = System.nanoTime();
            double lossSum = 0;
            for (int s = 0; s < steps; s++) {
                for (int b = 0; b < batch; b++) {
                    int img = order[s * batch + b];
                    System.arraycopy(train.images(), img * pixels, images, b * pixels, pixels);
                    labels[b] = train.labels()[img];
                }
                step.program().set(x, images);
                step.program().setLabels(y, labels);
                lossSum += step.run();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            int right = 0;
            float[] z = new float[evalBatch * Mnist.CLASSES];
            for (int start = 0; start + evalBatch <= test.count(); start += evalBatch) {
                eval.bind(ex, test.images(), start * pixels);
                eval.run();
                eval.read(logits, z);
                for (int b = 0; b < evalBatch; b++) {
                    int best = 0;
                    for (int c = 1; c < Mnist.CLASSES; c++) if (z[b * Mnist.CLASSES + c] > z[b * Mnist.CLASSES + best]) best = c;
                    right += best == test.labels()[start + b] ? 1 : 0;
                }
            }
            System.out.printf(Locale.ROOT, "epoch %d: train loss %.4f, test accuracy %.2f%% (%d/%d), %.1f s (%.1f ms/step)%n",
                    epoch, lossSum / steps, 100.0 * right / test.count(), right, test.count(), seconds, 1000 * seconds / steps);
            List<TensorData> tensors = new ArrayList<>();
            for (StateEntry e : vit.state()) tensors.add(new TensorData(e.name(), e.torchShape(), e.toTorch().apply(store.get(e.node()).clone())));
            SafeTensors.write(out, tensors, Map.of("model", "vit-tiny", "epoch", Integer.toString(epoch),
                    "test_accuracy", Double.toString((double) right / test.count())));
        }
    }
}
