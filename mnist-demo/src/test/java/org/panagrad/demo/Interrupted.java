package org.panagrad.demo;

import org.panagrad.io.Mnist;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ctrl-C without signals: trains as {@code train --layers SyntheticMnist.LAYERS --seed 1 --checkpoint FILE} would
 * (ReLU, PyTorch's default initialization) and requests a stop after a given number of steps, from the
 * progress callback, as the shutdown hook would from another thread.
 */
final class Interrupted {
    private Interrupted() {}

    static void trainThenStop(Path data, OptimizerChoice optimizer, OptimizerChoice.Settings settings, int batch,
                              int epochs, int samples, Path checkpoint, int steps) throws IOException {
        Model model = new Model(Mlp.parseWidths(SyntheticMnist.LAYERS), Activation.RELU);
        model.mlp.initialize(model.store, Init.TORCH_DEFAULT, settings.seed());
        Mnist mnist = Mnist.load(data);
        AtomicReference<Trainer> trainer = new AtomicReference<>();
        AtomicInteger taken = new AtomicInteger();
        Progress stopping = new Progress() {
            @Override
            public void step(int images, double meanLoss) {
                if (taken.incrementAndGet() == steps) trainer.get().requestStop();
            }

            @Override
            public void close() {}
        };
        trainer.set(new Trainer(model, mnist.train(), mnist.test(),
                (m, full, last) -> optimizer.create(m, full, last, settings),
                new Trainer.Config(batch, epochs, samples, settings.seed(), new CheckpointFiles(checkpoint), 0,
                        Trainer.NonFinitePolicy.STOP, 0, java.util.Map.of(), "Try a smaller --lr"),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), epoch -> stopping));
        assertEquals(Trainer.Outcome.STOPPED, trainer.get().run(null));
        assertTrue(trainer.get().savedAt().startsWith(checkpoint + " (step " + steps + ":"), trainer.get().savedAt());
    }
}
