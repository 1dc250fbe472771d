package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.graph.Node;
import org.panagrad.io.Mnist;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.optim.TrainingStep;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --on-nonfinite skip}: a step that went non-finite (here made so on chosen batches: the step runs, then its
 * weights are poisoned with NaN, as an overflow would leave them) is undone exactly. The run ends with the weights
 * and optimizer state of a run that never took those steps, bit for bit, across the copies taken every 64 steps.
 */
class SkipNonFiniteTest {
    @TempDir
    Path dir;

    /** A real step that, on the chosen batches (known by their images), leaves NaN in a weight and says so. */
    private static final class Poisoned implements BatchStep {
        private final BatchStep real;
        private final Model model;
        private final Set<Integer> bad;
        private final boolean omit;
        private boolean poisoned;

        /** With {@code omit}, the chosen batches are not stepped at all: what skipping them should amount to. */
        Poisoned(BatchStep real, Model model, Set<Integer> bad, boolean omit) {
            this.real = real;
            this.model = model;
            this.bad = bad;
            this.omit = omit;
        }

        @Override
        public float step(float[] images, int[] labels, int size) {
            boolean chosen = bad.contains(Arrays.hashCode(Arrays.copyOf(images, size * model.inputWidth())));
            poisoned = chosen && !omit;
            if (chosen && omit) return 1f;
            float loss = real.step(images, labels, size);
            if (poisoned) model.store.get(model.parameters().get(0))[3] = Float.NaN;
            return loss;
        }

        @Override
        public TrainingStep.Status status() {
            return poisoned ? TrainingStep.Status.NONFINITE_GRADIENT : real.status();
        }

        @Override
        public String nonFiniteDetail() {
            return "a poisoned gradient";
        }

        @Override public long stepCount() { return real.stepCount(); }
        @Override public void setStepCount(long steps) { real.setStepCount(steps); }
        @Override public boolean dropsPartialBatch() { return real.dropsPartialBatch(); }
        @Override public void saveState(Path stateFile) throws IOException { real.saveState(stateFile); }
        @Override public boolean restoreState(Path stateFile, long step) throws IOException { return real.restoreState(stateFile, step); }
        @Override public String restartWarning() { return real.restartWarning(); }
        @Override public void remember() { real.remember(); }
        @Override public void rollBack() { real.rollBack(); }
        @Override public void detectAnomaly() { real.detectAnomaly(); }
        @Override public String phaseOf(Node node) { return real.phaseOf(node); }
    }

    private record Run(Model model, Trainer trainer, String err) {}

    /** 600 images in batches of 4, two epochs: 150 steps an epoch, so copies are taken at 0, 64 and 128. */
    private Run train(Mnist mnist, OptimizerChoice optimizer, Set<Integer> bad, boolean omit) throws IOException {
        Model model = new Model(Mlp.parseWidths(SyntheticMnist.LAYERS), Activation.RELU);
        model.mlp.initialize(model.store, Init.TORCH_DEFAULT, 1);
        OptimizerChoice.Settings settings = new OptimizerChoice.Settings(optimizer.learningRate(null), 1, new NewtonCgOptions());
        StringWriter err = new StringWriter();
        Trainer trainer = new Trainer(model, mnist.train(), mnist.test(),
                (m, full, last) -> new Poisoned(optimizer.create(m, full, last, settings), m, bad, omit),
                new Trainer.Config(4, 2, 600, 1, null, 0, Trainer.NonFinitePolicy.SKIP, 0, Map.of(), "Try a smaller --lr"),
                new PrintWriter(new StringWriter()), new PrintWriter(err), epoch -> Progress.NONE);
        assertEquals(Trainer.Outcome.FINISHED, trainer.run(null));
        return new Run(model, trainer, err.toString());
    }

    /** The key Poisoned knows batch b of an epoch by: the hash of its images, gathered as the trainer does. */
    private static int batchKey(Mnist mnist, int epoch, int b) {
        int[] order = new int[600];
        Trainer.shuffle(order, 1, epoch);
        int pixels = mnist.train().pixelsPerImage();
        float[] images = new float[4 * pixels];
        for (int i = 0; i < 4; i++) System.arraycopy(mnist.train().images(), order[b * 4 + i] * pixels, images, i * pixels, pixels);
        return Arrays.hashCode(images);
    }

    @Test
    void skippedStepsAreUndoneExactlyForEveryKindOfOptimizer() throws IOException {
        Mnist mnist = Mnist.load(SyntheticMnist.write(dir.resolve("data"), 600, 50));
        // Batch 5 (back to the copy at 0), 70 (back to 64), and the first three of epoch 2 in a row.
        Set<Integer> bad = Set.of(batchKey(mnist, 0, 5), batchKey(mnist, 0, 70), batchKey(mnist, 1, 0),
                batchKey(mnist, 1, 1), batchKey(mnist, 1, 2));
        assertEquals(5, bad.size(), "the batches are told apart by their images");
        for (OptimizerChoice optimizer : List.of(OptimizerChoice.MOMENTUM, OptimizerChoice.ADAM, OptimizerChoice.ADAHESSIAN)) {
            Run skipped = train(mnist, optimizer, bad, false);
            Run omitted = train(mnist, optimizer, bad, true);
            assertEquals(5, skipped.trainer().skippedSteps(), optimizer + ": " + skipped.err());
            assertTrue(skipped.err().contains("warning: a poisoned gradient at step 6 (epoch 1, batch 6 of 150) (the loss was"),
                    skipped.err());
            assertTrue(skipped.err().contains("skipped it (5 skipped so far)"), skipped.err());
            for (int i = 0; i < skipped.model().parameters().size(); i++) {
                Node p = skipped.model().parameters().get(i);
                assertArrayEquals(omitted.model().store.get(omitted.model().parameters().get(i)), skipped.model().store.get(p),
                        optimizer + ": " + p.name() + " differs from a run that never took the skipped steps");
            }
        }
    }

    /**
     * With batch norm (resnet8), the forward pass of a skipped step moved the running statistics too: they are put
     * back with the parameters, so the run ends with every state-dict entry of a run that never took the step.
     */
    @Test
    void skippedStepsPutBackBatchNormsRunningStatistics() throws IOException {
        Mnist mnist = Mnist.load(SyntheticMnist.write(dir.resolve("data28"), 300, 20, 28));
        int[] order = new int[300];
        Trainer.shuffle(order, 1, 0);
        int pixels = mnist.train().pixelsPerImage();
        Set<Integer> bad = new java.util.HashSet<>();
        for (int b : new int[] {5, 70}) {
            float[] images = new float[4 * pixels];
            for (int i = 0; i < 4; i++) System.arraycopy(mnist.train().images(), order[b * 4 + i] * pixels, images, i * pixels, pixels);
            bad.add(Arrays.hashCode(images));
        }
        Model[] models = new Model[2];
        for (int omit = 0; omit < 2; omit++) {
            Model model = new Model("resnet8", new org.panagrad.nn.zoo.ZooOptions(Mlp.parseWidths(SyntheticMnist.LAYERS), Activation.RELU));
            model.initialize(Init.TORCH_DEFAULT, 1);
            OptimizerChoice.Settings settings = new OptimizerChoice.Settings(0.05, 1, new NewtonCgOptions());
            boolean omitting = omit == 1;
            Trainer trainer = new Trainer(model, mnist.train(), mnist.test(),
                    (m, full, last) -> new Poisoned(OptimizerChoice.MOMENTUM.create(m, full, last, settings), m, bad, omitting),
                    new Trainer.Config(4, 1, 300, 1, null, 0, Trainer.NonFinitePolicy.SKIP, 0, Map.of(), "Try a smaller --lr"),
                    new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), epoch -> Progress.NONE);
            assertEquals(Trainer.Outcome.FINISHED, trainer.run(null));
            if (!omitting) assertEquals(2, trainer.skippedSteps());
            models[omit] = model;
        }
        List<Node> skipped = models[0].stateNodes(), omitted = models[1].stateNodes();
        assertTrue(skipped.stream().anyMatch(n -> n.name().contains("running_mean")), "resnet8 has running statistics");
        for (int i = 0; i < skipped.size(); i++) {
            assertArrayEquals(models[1].store.get(omitted.get(i)), models[0].store.get(skipped.get(i)),
                    skipped.get(i).name() + " differs from a run that never took the skipped steps");
        }
    }
}
